/**
 * The console at a phone's width and from the keyboard, in chromium: every view fits a 390 px window without
 * scrolling sideways (wide tables scroll inside their own box), and the keyboard reaches the navigation and a
 * view's first control with Tab, with a visible focus ring.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { createTopic, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';

let browser: ConsoleBrowser;
let broker: TestBroker;

const VIEWS: [string, string][] = [
  ['#/', 'main h1'],
  ['#/topics', 'main tbody tr'],
  ['#/topics/orders/messages?partition=all&from=end', 'main tbody tr'],
  ['#/topics/orders/produce', 'form.produce'],
  ['#/groups', 'main h1'],
  ['#/delayed', 'main h1'],
  ['#/bench', 'main h1'],
];

describe.skipIf(!browserTestsEnabled())('the console: phone width and keyboard', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ memory: true });
    await createTopic(broker.url, 'orders', 2);
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ key: `customer-with-a-long-name-${i}`, value: JSON.stringify({ id: i, note: 'a fairly long value '.repeat(8) }) }),
    );
    const res = await fetch(`${broker.url}/topics/orders/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    expect(res.status).toBeLessThan(300);
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it.each(VIEWS)('%s fits 390 px without scrolling the page sideways', async (hash, ready) => {
    const page = await browser.open(`${broker.url}/ui/${hash}`, ready);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator(ready).first().waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    browser.expectClean(page);
  });

  it('Tab reaches the navigation first, then the view, each with a visible focus outline', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics`, 'main tbody tr');
    const focused: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      // what has the focus, and whether it shows a ring (a string: the page's code, not this file's)
      focused.push(
        (await page.evaluate(`(() => {
          const el = document.activeElement;
          if (el === null) return '';
          const style = getComputedStyle(el);
          const ring = style.outlineStyle !== 'none' && style.outlineWidth !== '0px' ? 'ring' : 'no-ring';
          return el.tagName.toLowerCase() + ':' + (el.getAttribute('href') ?? el.id ?? '').slice(0, 30) + ':' + ring;
        })()`)) as string,
      );
    }
    expect(focused.slice(0, 3).map((f) => f.split(':')[0])).toEqual(['a', 'a', 'a']);
    expect(focused).toContain('input:topic-search:ring');
    expect(focused.filter((f) => f.endsWith('no-ring'))).toEqual([]);
    browser.expectClean(page);
  });
});
