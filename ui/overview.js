/**
 * The overview, the console's start page: how the broker runs (version, uptime, data dir, fsync, listeners),
 * its totals now, and messages produced and delivered per second over the last minutes — all from
 * `GET /info`, whose rates the broker samples from its own counters every second (so the chart shows the
 * minutes before the page was opened too). Refreshed every two seconds while the page is open.
 */
import { getJson } from './api.js';
import { lineChart } from './chart.js';
import { formatBytes, formatCount, h, replace } from './dom.js';
import { formatDuration } from './durations.js';

const REFRESH_MS = 2000;
/** The "now" rate: the mean over the last samples (seconds). */
const NOW_SAMPLES = 5;

/**
 * @typedef {{ version: string, startedAt: number, uptimeMs: number, dataDir: string | null, memory: boolean,
 *   fsync: string, listeners: { http: string, kafka: string | null, console: string | null },
 *   totals: { topics: number, partitions: number, messages: number, bytes: number, groups: number,
 *     connections: { http: number, websocket: number, kafka: number }, subscribers: number, delayedPending: number },
 *   counters: { messagesIn: number, bytesIn: number, messagesOut: number, bytesOut: number },
 *   rates: { intervalMs: number, times: number[], produced: number[], delivered: number[] } }} BrokerInfo
 */

/** @param {HTMLElement} root @param {import('./app.js').Route} _route @param {import('./app.js').App} app */
export function overviewView(root, _route, app) {
  let stopped = false;
  const facts = h('dl', { class: 'facts' });
  const totals = h('div', { class: 'totals' });
  const now = h('p', { class: 'muted', id: 'rate-now', 'aria-live': 'off' });
  const chartBox = h('div', {
    class: 'live-chart',
    id: 'rate-chart',
    role: 'img',
    'aria-label': 'Messages per second, produced and delivered',
  });
  const problem = h('div');
  replace(
    root,
    h('div', { class: 'toolbar' }, h('h1', null, 'Overview')),
    problem,
    h('section', { class: 'overview', id: 'overview' }, facts, totals),
    h('h2', null, 'Messages per second'),
    now,
    chartBox,
    h(
      'p',
      { class: 'muted' },
      'The broker counts them every second (the last five minutes); delivered counts reads, group reads, subscribers and Kafka fetches.',
    ),
  );
  const chart = lineChart(chartBox, {
    series: [
      { label: 'produced', color: '--accent' },
      { label: 'delivered', color: '--chart-2' },
    ],
    unit: '/s',
    label: 'messages/s',
    windowMs: 5 * 60 * 1000,
  });

  /** @param {BrokerInfo} info */
  function draw(info) {
    const listeners = [
      h('li', null, 'HTTP + WebSocket ', h('code', null, info.listeners.http)),
      info.listeners.kafka === null
        ? h('li', { class: 'muted' }, 'Kafka: off (evq serve --kafka-port 9092)')
        : h('li', null, 'Kafka ', h('code', null, info.listeners.kafka)),
    ];
    replace(
      facts,
      fact('version', 'Version', info.version),
      fact('uptime', 'Uptime', formatDuration(info.uptimeMs)),
      fact('data-dir', 'Data', info.dataDir === null ? 'in memory (--memory): nothing on disk' : info.dataDir),
      fact('fsync', 'Fsync', info.fsync),
      fact('listeners', 'Listeners', h('ul', { class: 'plain' }, listeners)),
    );
    const c = info.totals.connections;
    replace(
      totals,
      total('topics', 'Topics', formatCount(info.totals.topics)),
      total('partitions', 'Partitions', formatCount(info.totals.partitions)),
      total('messages', 'Messages', formatCount(info.totals.messages)),
      total('bytes', 'Size', formatBytes(info.totals.bytes)),
      total('groups', 'Groups', formatCount(info.totals.groups)),
      total(
        'connections',
        'Connections',
        formatCount(c.http + c.kafka),
        `HTTP ${formatCount(c.http)} (WebSocket ${formatCount(c.websocket)}), Kafka ${formatCount(c.kafka)}`,
      ),
      total('subscribers', 'Subscribers', formatCount(info.totals.subscribers)),
      total('delayed', 'Delayed', formatCount(info.totals.delayedPending)),
    );
    const { times, produced, delivered, intervalMs } = info.rates;
    const perSecond = (/** @type {number[]} */ xs) => xs.map((x) => Math.round((x * 1000) / intervalMs));
    const mean = (/** @type {number[]} */ xs) => {
      const last = xs.slice(-NOW_SAMPLES);
      return last.length === 0 ? 0 : Math.round((last.reduce((n, x) => n + x, 0) * 1000) / intervalMs / last.length);
    };
    replace(
      now,
      times.length === 0
        ? 'No sample yet: the first comes a second after the broker started.'
        : `Now (last ${Math.min(NOW_SAMPLES, times.length)} s): ${formatCount(mean(produced))}/s produced, ${formatCount(mean(delivered))}/s delivered. Since start: ${formatCount(info.counters.messagesIn)} produced, ${formatCount(info.counters.messagesOut)} delivered.`,
    );
    if (times.length > 0) chart.update(times, [perSecond(produced), perSecond(delivered)]);
  }

  async function load() {
    try {
      const info = await getJson('/info');
      if (stopped) return;
      replace(problem);
      draw(info);
    } catch (err) {
      if (!stopped) app.showError(err, problem);
    }
  }

  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
    chart.destroy();
  };
}

/** @param {string} id @param {string} label @param {import('./dom.js').Child} value */
function fact(id, label, value) {
  return [h('dt', null, label), h('dd', { 'data-fact': id }, value)];
}

/** @param {string} id @param {string} label @param {string} value @param {string} [detail] */
function total(id, label, value, detail) {
  return h(
    'div',
    { class: 'total', 'data-total': id, title: detail ?? null },
    h('span', { class: 'value' }, value),
    h('span', { class: 'label muted' }, label),
    detail === undefined ? null : h('span', { class: 'detail muted' }, detail),
  );
}
