/**
 * `--html FILE` (evq bench, evq bench report): one self-contained HTML file — uPlot, the stylesheet, the page
 * script and the data model inline, nothing fetched — that opens from a file:// URL or an e-mail attachment. The
 * data model (src/bench/report/) is embedded as gzip + base64 (the page decodes it with DecompressionStream), as
 * k6's report does; the only markup written from the run's data is the escaped title: the page builds everything
 * else with textContent. A Content-Security-Policy forbids the page any connection.
 */

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { reportModelOf, type LabelledResult, type ReportModel } from '../bench/report/model.js';
import { EvqError } from '../errors.js';
import { PAGE_CSS, PAGE_SCRIPT } from './bench-html-page.js';

let uplot: { js: string; css: string } | undefined;

/** uPlot's minified script and stylesheet, read once from its package. */
function uplotAssets(): { js: string; css: string } {
  if (uplot === undefined) {
    const require = createRequire(import.meta.url);
    uplot = {
      js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return uplot;
}

/** Text for an HTML element's content or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Script or style text that cannot end its element early (`</script`, `</style`, `<!--`). */
function inlineSafe(text: string): string {
  return text.replace(/<\/(script|style)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** The model as the page reads it: JSON, gzip, base64. */
export function encodeModel(model: ReportModel): string {
  return gzipSync(Buffer.from(JSON.stringify(model)), { level: 9 }).toString('base64');
}

export function renderHtml(model: ReportModel): string {
  const { js, css } = uplotAssets();
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // nothing leaves the page: no fetch, no image, no font from anywhere
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="evq bench">',
    `<title>${escapeHtml(model.title)}</title>`,
    `<style>${inlineSafe(css)}</style>`,
    `<style>${inlineSafe(PAGE_CSS)}</style>`,
    '</head>',
    '<body>',
    '<main id="report"><noscript>This report draws its tables and charts with JavaScript.</noscript><p id="error"></p></main>',
    `<script type="application/gzip-base64" id="report-data">${encodeModel(model)}</script>`,
    `<script>${inlineSafe(js)}</script>`,
    `<script>${inlineSafe(PAGE_SCRIPT)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The report of one run or several (overlaid), as HTML. */
export function htmlReport(runs: readonly LabelledResult[]): string {
  return renderHtml(reportModelOf(runs));
}

export async function writeHtmlReport(path: string, runs: readonly LabelledResult[]): Promise<void> {
  const html = htmlReport(runs);
  try {
    await writeFile(path, html);
  } catch (error) {
    throw new EvqError('EVQ_ERR_STORAGE', `cannot write the HTML report to ${path}: ${(error as Error).message}`, { cause: error });
  }
}
