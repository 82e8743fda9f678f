/**
 * The web console in a real browser, for the tests of test/integration/browser/console-*.test.ts: one
 * chromium for a file (test/helpers/browser.ts), a tab per test on a broker's `/ui/`, and the check every
 * such test ends with: the page logged no error (a CSP violation, a failed request, an exception).
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchBrowser, type TestBrowser } from './browser.js';

export interface ConsoleBrowser {
  /** A new tab on `url` (the console's address, maybe with a fragment); waits for its first view to be drawn. */
  open(url: string, ready?: string): Promise<Page>;
  /** Fails when the page logged an error or a warning, or raised an exception. */
  expectClean(page: Page): void;
  /** What the page logged (for failure messages). */
  logOf(page: Page): string;
  close(): Promise<void>;
}

/** Chromium, or the reason it did not start (then every test fails with it: under CI=true none may skip). */
export async function startConsoleBrowser(): Promise<ConsoleBrowser> {
  let browser: TestBrowser | undefined;
  let launchError: unknown;
  try {
    browser = await launchBrowser();
  } catch (err) {
    launchError = err;
  }
  const need = (): TestBrowser => {
    if (browser === undefined) throw launchError ?? new Error('the browser did not start');
    return browser;
  };
  const logOf = (page: Page): string => browser?.consoleOf(page).join('\n') ?? '';
  return {
    async open(url, ready = 'main h1, main .error, main form.token-form') {
      const page = await need().newPage();
      // every dialog (alert, confirm) is a failure of its own: the console uses none, and a script payload would
      page.on('dialog', (dialog) => {
        need().consoleOf(page).push(`error: a ${dialog.type()} dialog opened: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await page.goto(url);
      await page.locator(ready).first().waitFor({ timeout: 10_000 });
      return page;
    },
    expectClean(page) {
      const bad = need()
        .consoleOf(page)
        .filter((line) => /^(error|warning|pageerror):/.test(line));
      expect(bad, logOf(page)).toEqual([]);
    },
    logOf,
    close: async () => {
      await browser?.close();
    },
  };
}
