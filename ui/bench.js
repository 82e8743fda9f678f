/**
 * The bench view: the `evq bench` runs that report to this broker (`GET /bench/runs`), newest first, refreshed
 * every second while a run goes on; a run's page draws its per-second published and delivered rates and its
 * p99 so far (SVG polylines, built with the DOM: nothing of a run is markup), and says how it ended and where its
 * reports were written. Runs live in the broker's memory (the last 20).
 */
import { getJson } from './api.js';
import { formatCount, h, replace } from './dom.js';

const REFRESH_MS = 1000;
const SVG = 'http://www.w3.org/2000/svg';

/**
 * @typedef {{ elapsedMs: number, phase: string, publishRate: number, deliverRate: number, p99Us: number | null,
 *   acked: number, delivered: number, errors: number }} BenchPoint
 * @typedef {{ ok: boolean, verdict: string, reports: string[] }} BenchFinished
 * @typedef {{ id: string, title: string, startedAt: number, updatedAt: number, last: BenchPoint | null,
 *   finished: BenchFinished | null, points?: BenchPoint[] }} BenchRun
 */

/** @param {number | null} us */
function formatMicros(us) {
  if (us === null) return '–';
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 100_000 ? 0 : 1)} ms` : `${Math.round(us)} µs`;
}

/** @param {BenchRun} run */
function stateOf(run) {
  if (run.finished === null) return h('span', { class: 'badge' }, run.last?.phase ?? 'starting');
  return h('span', { class: run.finished.ok ? 'badge ok' : 'badge bad' }, run.finished.ok ? 'passed' : 'failed');
}

/**
 * One line chart of `series` over the points' elapsed seconds.
 * @param {string} label @param {BenchPoint[]} points @param {{ name: string, cls: string, value: (p: BenchPoint) => number | null }[]} series
 */
function chart(label, points, series) {
  const width = 600;
  const height = 160;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'bench-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const maxX = Math.max(1, ...points.map((p) => p.elapsedMs));
  const maxY = Math.max(1, ...points.flatMap((p) => series.map((s) => s.value(p) ?? 0)));
  for (const s of series) {
    const line = document.createElementNS(SVG, 'polyline');
    const coords = points
      .filter((p) => s.value(p) !== null)
      .map((p) => `${((p.elapsedMs / maxX) * width).toFixed(1)},${(height - ((s.value(p) ?? 0) / maxY) * (height - 4) - 2).toFixed(1)}`);
    line.setAttribute('points', coords.join(' '));
    line.setAttribute('class', s.cls);
    line.setAttribute('data-points', String(coords.length));
    svg.appendChild(line);
  }
  const legend = h(
    'p',
    { class: 'legend muted' },
    series.map((s) => h('span', { class: `key ${s.cls}` }, s.name)),
    ` · up to ${label.includes('p99') ? formatMicros(maxY) : `${formatCount(Math.round(maxY))} msgs/s`}`,
  );
  return h('figure', { class: 'chart' }, h('figcaption', null, label), svg, legend);
}

/** @param {HTMLElement} root @param {import('./app.js').Route} route @param {import('./app.js').App} app */
export function benchView(root, route, app) {
  const id = route.path[1];
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const body = h('div', { class: 'bench' });
  replace(root, h('h1', null, id === undefined ? 'Bench runs' : 'Bench run'), body);

  const refresh = async () => {
    try {
      if (id === undefined) {
        const { runs } = /** @type {{ runs: BenchRun[] }} */ (await getJson('/bench/runs'));
        if (stopped) return;
        replace(body, runs.length === 0 ? emptyList() : runTable(runs));
        if (runs.some((r) => r.finished === null)) timer = setTimeout(refresh, REFRESH_MS);
        else timer = setTimeout(refresh, REFRESH_MS * 5);
      } else {
        const run = /** @type {BenchRun} */ (await getJson(`/bench/runs/${encodeURIComponent(id)}`));
        if (stopped) return;
        replace(body, runPage(run));
        if (run.finished === null) timer = setTimeout(refresh, REFRESH_MS);
      }
    } catch (err) {
      if (!stopped) app.showError(err, body);
    }
  };
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function emptyList() {
  return h(
    'p',
    { class: 'muted' },
    'No bench run has reported to this broker yet. Run one against it, e.g. ',
    h('code', null, `evq bench --url ${location.origin} --duration 30s`),
    ', and it shows here while it runs.',
  );
}

/** @param {BenchRun[]} runs */
function runTable(runs) {
  return h(
    'table',
    { class: 'data' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Run', 'Scenario', 'State', 'Published/s', 'Delivered/s', 'p99', 'Errors'].map((t) => h('th', null, t)),
      ),
    ),
    h(
      'tbody',
      null,
      runs.map((r) =>
        h(
          'tr',
          { 'data-run': r.id },
          h('td', null, h('a', { href: `#/bench/${encodeURIComponent(r.id)}` }, new Date(r.startedAt).toLocaleTimeString())),
          h('td', null, r.title),
          h('td', null, stateOf(r)),
          h('td', { class: 'num' }, r.last === null ? '–' : formatCount(r.last.publishRate)),
          h('td', { class: 'num' }, r.last === null ? '–' : formatCount(r.last.deliverRate)),
          h('td', { class: 'num' }, formatMicros(r.last?.p99Us ?? null)),
          h('td', { class: 'num' }, formatCount(r.last?.errors ?? 0)),
        ),
      ),
    ),
  );
}

/** @param {BenchRun} run */
function runPage(run) {
  const points = run.points ?? [];
  return h(
    'div',
    null,
    h('p', null, h('a', { href: '#/bench' }, '← all runs')),
    h('p', { class: 'run-title' }, run.title, ' ', stateOf(run)),
    run.finished === null
      ? h(
          'p',
          { class: 'muted' },
          `running: ${formatCount(run.last?.acked ?? 0)} published, ${formatCount(run.last?.delivered ?? 0)} delivered so far`,
        )
      : h(
          'div',
          { class: run.finished.ok ? 'verdict ok' : 'verdict bad' },
          h('p', null, run.finished.verdict),
          run.finished.reports.length === 0
            ? null
            : h(
                'p',
                { class: 'muted' },
                'Reports written: ',
                run.finished.reports.map((r, i) => [i > 0 ? ', ' : '', h('code', null, r)]),
              ),
        ),
    chart('Throughput (msgs/s)', points, [
      { name: 'published', cls: 'series-a', value: (p) => p.publishRate },
      { name: 'delivered', cls: 'series-b', value: (p) => p.deliverRate },
    ]),
    chart('p99 so far', points, [{ name: 'p99', cls: 'series-c', value: (p) => p.p99Us }]),
  );
}
