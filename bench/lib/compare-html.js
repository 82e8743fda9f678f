// @ts-check
// bench/results/latest.html beside latest.json: every target of `npm run bench:compare` as bars against its
// goal (green when met, red when not), with what was measured and the machine it ran on. One static file: no
// script, no network, styles inline, every text escaped; light and dark, printable.
import { writeFileSync } from 'node:fs';

/** @param {unknown} text */
const esc = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/**
 * One check as a bar: the measured figure against its goal, the goal at the bar's middle, so a ratio of 2× the
 * goal fills it (an at-most goal reads the other way: under it is good).
 * @param {import('./compare-checks.js').Check} c
 */
function bar(c) {
  // a check with no figure is a yes/no one (nothing lost, every message once): its bar is full or empty
  const yesNo = c.ratio === undefined && c.value === undefined;
  const measured = c.ratio ?? c.value ?? null;
  const atMost = c.atMost === true;
  const fraction = yesNo
    ? c.pass
      ? 1
      : 0
    : measured === null || !Number.isFinite(measured) || c.target <= 0
      ? 0
      : Math.min(1, measured / c.target / 2);
  const width = (fraction * 100).toFixed(1);
  const figure = yesNo
    ? c.pass
      ? 'yes'
      : 'no'
    : `${esc(measured === null ? 'not measured' : measured)} ${atMost ? '≤' : 'vs'} ${esc(c.target)}`;
  return `<div class="check ${c.pass ? 'pass' : 'fail'}">
  <span class="name">${esc(c.name)}</span>
  <span class="track"><span class="fill" style="width:${width}%"></span>${yesNo ? '' : '<span class="goal"></span>'}</span>
  <span class="figure">${figure} ${c.pass ? 'PASS' : 'FAIL'}</span>
</div>`;
}

/**
 * One curve of target 11 as an inline SVG line chart: the count on a log axis (1 … 1,000), `key` from 0 up.
 * @param {{ count: number }[]} points @param {string} key @param {string} label
 */
function lineChart(points, key, label) {
  const W = 300;
  const H = 150;
  const left = 52;
  const bottom = 22;
  const values = points.map((p) => Number(/** @type {Record<string, unknown>} */ (p)[key]));
  const top = Math.max(...values.filter(Number.isFinite), 0) * 1.1 || 1;
  const maxLog = Math.log10(Math.max(...points.map((p) => p.count), 10));
  const x = (/** @type {number} */ n) => left + ((W - left - 8) * Math.log10(n)) / maxLog;
  const y = (/** @type {number} */ v) => H - bottom - ((H - bottom - 8) * v) / top;
  const short = (/** @type {number} */ v) =>
    v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${Math.round(v / 1e3)}k` : `${Math.round(v * 10) / 10}`;
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.count).toFixed(1)},${y(values[i]).toFixed(1)}`).join(' ');
  const ticks = points
    .map((p) => `<text x="${x(p.count).toFixed(1)}" y="${H - 6}" text-anchor="middle">${esc(short(p.count))}</text>`)
    .join('');
  const dots = points
    .map(
      (p, i) =>
        `<circle cx="${x(p.count).toFixed(1)}" cy="${y(values[i]).toFixed(1)}" r="3"><title>${esc(`${p.count}: ${values[i]}`)}</title></circle>`,
    )
    .join('');
  return `<figure class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}">
<line x1="${left}" y1="${H - bottom}" x2="${W - 8}" y2="${H - bottom}" class="axis"/><line x1="${left}" y1="8" x2="${left}" y2="${H - bottom}" class="axis"/>
<text x="${left - 4}" y="12" text-anchor="end">${esc(short(top / 1.1))}</text><text x="${left - 4}" y="${H - bottom}" text-anchor="end">0</text>
${ticks}<path d="${path}" class="line"/>${dots}</svg><figcaption>${esc(label)}</figcaption></figure>`;
}

/** A count with thousands separators. @param {number} n */
const num = (n) => (Number.isFinite(n) ? n.toLocaleString('en-US') : String(n));

/** Target 11's curves: a table and two charts (deliveries/s, p99) per curve. @param {Record<string, any> | undefined} scale */
function scaleSection(scale) {
  if (scale === undefined || scale.curves === undefined) return '';
  const curves = Object.entries(
    /** @type {Record<string, { count: number, deliveredPerSec: number, publishedPerSec: number, p50Ms: number, p99Ms: number }[]>} */ (
      scale.curves
    ),
  );
  return `<section class="scale"><h2>Scale curves (target 11)</h2>
${curves
  .map(
    ([
      key,
      points,
    ]) => `<h3>${esc(key)}</h3><div class="charts">${lineChart(points, 'deliveredPerSec', `deliveries/s by ${key}`)}${lineChart(points, 'p99Ms', `delivery p99 (ms) by ${key}`)}</div>
<table><thead><tr><th>${esc(key)}</th><th>delivered/s</th><th>published/s</th><th>p50 ms</th><th>p99 ms</th></tr></thead><tbody>${points
      .map(
        (p) =>
          `<tr><td>${esc(num(p.count))}</td><td>${esc(num(p.deliveredPerSec))}</td><td>${esc(num(p.publishedPerSec))}</td><td>${esc(p.p50Ms)}</td><td>${esc(p.p99Ms)}</td></tr>`,
      )
      .join('')}</tbody></table>`,
  )
  .join('\n')}
</section>`;
}

/**
 * @param {string} path
 * @param {Record<string, any>} result what latest.json holds
 * @param {{ command: string, file: string }[]} [runs] each evq bench run's own report (paths relative to `path`)
 */
export function writeCompareHtml(path, result, runs = []) {
  const targets =
    /** @type {{ id: number, title: string, pass: boolean, checks: import('./compare-checks.js').Check[], detail: string }[]} */ (
      result.targets ?? []
    );
  const rows = targets
    .map(
      (t) => `<section class="target ${t.pass ? 'pass' : 'fail'}">
<h2>${esc(t.id)}. ${esc(t.title)} <span class="verdict">${t.pass ? 'PASS' : 'FAIL'}</span></h2>
<p class="detail">${esc(t.detail)}</p>
${t.checks.map(bar).join('\n')}
</section>`,
    )
    .join('\n');
  const machine = result.machine ?? {};
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>evq bench:compare · ${esc(result.passed)} of ${esc(targets.length)} targets met</title>
<style>
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--pass:#1a7f37;--fail:#c4302b;font:14px/1.45 system-ui,'Liberation Sans',sans-serif}
@media (prefers-color-scheme:dark){:root{--fg:#e3e6ea;--muted:#98a2ad;--line:#2c323a;--pass:#3fb950;--fail:#ff6b63}}
body{margin:1.5rem;max-width:980px;color:var(--fg)}h1{font-size:1.3rem}h2{font-size:1rem;margin:0 0 .2rem}
.target{border-top:1px solid var(--line);padding:.7rem 0}.verdict{font-size:.8rem}.pass .verdict{color:var(--pass)}.fail .verdict{color:var(--fail)}
.detail,.muted{color:var(--muted);margin:.1rem 0 .4rem}.check{display:grid;grid-template-columns:16rem 1fr 14rem;gap:.6rem;align-items:center;margin:.2rem 0}
.track{position:relative;height:.8rem;border:1px solid var(--line)}.fill{position:absolute;inset:0 auto 0 0}.check.pass .fill{background:var(--pass)}.check.fail .fill{background:var(--fail)}
.goal{position:absolute;left:50%;top:-3px;bottom:-3px;border-left:2px dashed var(--fg)}.figure{font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{margin:0;width:300px}.chart svg{width:100%;font-size:10px;fill:var(--muted)}
.chart .axis{stroke:var(--line)}.chart .line{fill:none;stroke:var(--fg);stroke-width:2}.chart circle{fill:var(--fg)}.chart figcaption{color:var(--muted);font-size:.85rem}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.4rem 0}td,th{border-bottom:1px solid var(--line);padding:.15rem .6rem;text-align:right}
@media print{body{margin:0}.target{break-inside:avoid}}
</style></head><body>
<h1>evq bench:compare — ${esc(result.passed)} of ${esc(targets.length)} targets met${result.ok === false ? ' · a run erred or lost messages' : ''}</h1>
<p class="muted">${esc(result.date ?? '')} · commit ${esc(result.git?.commit ?? 'unknown')}${result.git?.dirty === true ? ' (with changes)' : ''} · ${esc(machine.cpus ?? '')} cores (${esc(machine.cpuModel ?? '')}) · Node ${esc(machine.node ?? '')} · load ${esc((machine.loadAverageBefore ?? []).join(' '))} → ${esc((machine.loadAverageAfter ?? []).join(' '))} · ${esc(result.wallSeconds)} s. The dashed line is each goal; a bar at its end is twice the goal. Every raw figure is in latest.json.</p>
${(result.problems ?? []).map((/** @type {string} */ p) => `<p class="fail">${esc(p)}</p>`).join('\n')}
${rows}
${scaleSection(result.figures?.scale)}
${
  runs.length === 0
    ? ''
    : `<section class="runs"><h2>Every evq bench run, with its charts</h2><ol>${runs
        .map((r) => `<li><a href="${esc(encodeURI(r.file))}">${esc(r.command)}</a></li>`)
        .join('')}</ol></section>`
}
</body></html>
`;
  writeFileSync(path, html);
}
