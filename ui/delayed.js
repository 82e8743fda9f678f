/**
 * The delay queue: what waits, due when, for which topic (`GET /delayed`, in due order, narrowed by topic and
 * by a filter run on the broker), a histogram of the due times with the same filter (`GET /delayed/histogram`),
 * and, behind a confirmation, cancel (`DELETE /delayed/{id}`) or deliver now (`POST /delayed/{id}/deliver`);
 * neither in a read-only console.
 *
 * Address: `#/delayed?topic=T&filter=EXPR`.
 */
import { getJson, request } from './api.js';
import { confirmDialog, formatCount, h, replace, isoTime } from './dom.js';
import { renderValue } from './values.js';

const PAGE = 100;
/** Rows kept in the page at most ("More" stops there). */
const MAX_ROWS = 1000;
const BUCKETS = 24;

/**
 * @typedef {{ id: string, topic: string, dueAt: number, producedAt: number | null, key: string | null,
 *   headers: Record<string, string> | null, value?: string, valueBase64?: string }} DelayedMessage
 */

/** @param {HTMLElement} root @param {import('./app.js').Route} route @param {import('./app.js').App} app */
export function delayedView(root, route, app) {
  let stopped = false;
  /** @type {string | null} */
  let next = null;
  let shown = 0;
  let generation = 0;

  const topicInput = /** @type {HTMLInputElement} */ (
    h('input', { id: 'd-topic', type: 'search', placeholder: 'every topic', autocomplete: 'off', 'aria-label': 'Topic', maxlength: 249 })
  );
  const filterInput = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'd-filter',
      type: 'search',
      class: 'filter',
      spellcheck: 'false',
      autocomplete: 'off',
      placeholder: 'filter, run on the broker: key == "c-7" && value.amount > 100',
      'aria-label': 'Filter',
      maxlength: 4096,
    })
  );
  const problem = h('div', { id: 'problem' });
  const result = h('div', { id: 'result', 'aria-live': 'polite' });
  const summary = h('p', { class: 'muted', id: 'summary', 'aria-live': 'polite' });
  const histogram = h('div', { class: 'histogram', id: 'histogram', role: 'img', 'aria-label': 'due times' });
  const histogramAxis = h('div', { class: 'histogram-axis muted' });
  const rows = h('tbody');
  const more = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', id: 'more', hidden: true, onclick: () => void loadMore() }, 'More')
  );

  replace(
    root,
    h('div', { class: 'toolbar' }, h('h1', null, 'Delayed messages')),
    h(
      'form',
      {
        class: 'controls',
        'aria-label': 'Find delayed messages',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          writeAddress();
          void load();
        },
      },
      topicInput,
      filterInput,
      h('button', { type: 'submit' }, 'Show'),
    ),
    problem,
    result,
    summary,
    histogram,
    histogramAxis,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'messages delayed' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Due', 'Topic', 'Key', 'Headers', 'Value', app.readOnly ? null : ''].map((label) =>
              label === null ? null : h('th', { scope: 'col' }, label),
            ),
          ),
        ),
        rows,
      ),
    ),
    h('div', { class: 'pager' }, more),
  );

  function query() {
    const params = new URLSearchParams();
    if (topicInput.value.trim() !== '') params.set('topic', topicInput.value.trim());
    if (filterInput.value.trim() !== '') params.set('filter', filterInput.value.trim());
    return params;
  }

  function writeAddress() {
    const params = query().toString();
    history.replaceState(null, '', `#/delayed${params === '' ? '' : `?${params}`}`);
  }

  /** Reads the first page and the histogram again. */
  async function load() {
    const mine = ++generation;
    replace(problem);
    const params = query();
    const pageParams = new URLSearchParams(params);
    pageParams.set('limit', String(PAGE));
    const histParams = new URLSearchParams(params);
    histParams.set('buckets', String(BUCKETS));
    try {
      const [list, hist] = await Promise.all([getJson(`/delayed?${pageParams}`), getJson(`/delayed/histogram?${histParams}`)]);
      if (stopped || mine !== generation) return;
      shown = 0;
      replace(rows);
      addRows(list.delayed);
      next = list.next;
      more.hidden = next === null || shown >= MAX_ROWS;
      drawHistogram(hist);
      const narrowed = params.has('topic') || params.has('filter');
      replace(
        summary,
        `${formatCount(list.waiting)} message${list.waiting === 1 ? '' : 's'} waiting` +
          (narrowed
            ? ` · ${formatCount(hist.matched)} match${hist.complete ? '' : ` of the first ${formatCount(hist.scanned)} looked at`}`
            : ''),
      );
      if (shown === 0) {
        rows.append(
          h(
            'tr',
            null,
            h('td', { colspan: app.readOnly ? 5 : 6, class: 'muted' }, narrowed ? 'No delayed message matches.' : 'Nothing waits.'),
          ),
        );
      }
    } catch (err) {
      if (!stopped && mine === generation) app.showError(err, problem);
    }
  }

  async function loadMore() {
    if (next === null) return;
    const mine = generation;
    const params = query();
    params.set('limit', String(Math.min(PAGE, MAX_ROWS - shown)));
    params.set('after', next);
    try {
      const list = await getJson(`/delayed?${params}`);
      if (stopped || mine !== generation) return;
      addRows(list.delayed);
      next = list.next;
      more.hidden = next === null || shown >= MAX_ROWS;
    } catch (err) {
      if (!stopped) app.showError(err, problem);
    }
  }

  /** @param {DelayedMessage[]} list */
  function addRows(list) {
    for (const d of list.slice(0, MAX_ROWS - shown)) {
      rows.append(delayedRow(d));
      shown++;
    }
  }

  /** @param {DelayedMessage} d */
  function delayedRow(d) {
    const headers = d.headers ?? {};
    const names = Object.keys(headers);
    return h(
      'tr',
      { 'data-id': d.id },
      h(
        'td',
        { class: 'time' },
        h('time', { datetime: isoTime(d.dueAt) }, isoTime(d.dueAt).replace('T', ' ').replace('Z', '')),
        h('div', { class: 'muted' }, relative(d.dueAt - Date.now())),
      ),
      h('td', { class: 'topic' }, h('a', { href: `#/topics/${encodeURIComponent(d.topic)}/messages` }, d.topic)),
      h('td', { class: 'key' }, d.key === null ? h('span', { class: 'muted' }, '—') : d.key),
      h(
        'td',
        { class: 'headers' },
        names.length === 0
          ? h('span', { class: 'muted' }, '—')
          : h(
              'dl',
              null,
              names.map((name) => [h('dt', null, name), h('dd', null, String(headers[name]))]),
            ),
      ),
      h(
        'td',
        { class: 'value' },
        renderValue({ topic: d.topic, offset: -1, timestamp: d.dueAt, value: d.value, valueBase64: d.valueBase64 }),
      ),
      app.readOnly
        ? null
        : h(
            'td',
            { class: 'actions' },
            h('button', { type: 'button', class: 'small deliver', onclick: () => void deliver(d) }, 'Deliver now'),
            h('button', { type: 'button', class: 'small danger cancel', onclick: () => void cancel(d) }, 'Cancel'),
          ),
    );
  }

  /** @param {DelayedMessage} d */
  async function cancel(d) {
    const yes = await confirmDialog(
      'Cancel this delayed message?',
      `It waits for topic “${d.topic}”, due ${isoTime(d.dueAt)}. Cancelled, it is never delivered.`,
      'Cancel the message',
    );
    if (!yes || stopped) return;
    try {
      await request(`/delayed/${encodeURIComponent(d.id)}`, { method: 'DELETE' });
      replace(result, h('p', { class: 'ok' }, `Cancelled: it will not be delivered to “${d.topic}”.`));
      await load();
    } catch (err) {
      app.showError(err, result);
    }
  }

  /** @param {DelayedMessage} d */
  async function deliver(d) {
    const yes = await confirmDialog(
      'Deliver this message now?',
      `It is appended to topic “${d.topic}” now instead of at ${isoTime(d.dueAt)}.`,
      'Deliver now',
    );
    if (!yes || stopped) return;
    try {
      const res = await request(`/delayed/${encodeURIComponent(d.id)}/deliver`, { method: 'POST' });
      const reply = await res.json();
      replace(result, h('p', { class: 'ok' }, `Delivered to “${reply.topic}”, partition ${reply.partition}, offset ${reply.offset}.`));
      await load();
    } catch (err) {
      app.showError(err, result);
    }
  }

  /** @param {{ from: number | null, to: number | null, bucketMs: number, counts: number[] }} hist */
  function drawHistogram(hist) {
    const max = Math.max(1, ...hist.counts);
    if (hist.from === null) {
      replace(histogram);
      replace(histogramAxis);
      histogram.hidden = true;
      return;
    }
    histogram.hidden = false;
    const from = hist.from;
    replace(
      histogram,
      hist.counts.map((count, i) => {
        const start = from + i * hist.bucketMs;
        const label = `${count} due ${isoTime(start)} – ${isoTime(start + hist.bucketMs)}`;
        const bar = h('div', { class: 'bar', title: label, 'data-count': String(count) });
        // CSSOM, not a style attribute: the CSP allows it without 'unsafe-inline'
        bar.style.height = `${count === 0 ? 0 : Math.max(4, Math.round((count / max) * 100))}%`;
        return h('div', { class: 'bucket' }, bar);
      }),
    );
    histogram.setAttribute(
      'aria-label',
      `due times of ${hist.counts.reduce((a, b) => a + b, 0)} messages in ${hist.counts.length} buckets`,
    );
    replace(
      histogramAxis,
      h('span', null, isoTime(from).replace('T', ' ').slice(0, 19)),
      h(
        'span',
        null,
        isoTime(/** @type {number} */ (hist.to))
          .replace('T', ' ')
          .slice(0, 19),
      ),
    );
  }

  topicInput.value = route.query.get('topic') ?? '';
  filterInput.value = route.query.get('filter') ?? '';
  void load();
  return () => {
    stopped = true;
  };
}

/** "in 5m", "2h ago". @param {number} ms */
function relative(ms) {
  const abs = Math.abs(ms);
  const text =
    abs < 1000
      ? 'now'
      : abs < 60_000
        ? `${Math.round(abs / 1000)}s`
        : abs < 3_600_000
          ? `${Math.round(abs / 60_000)}m`
          : abs < 86_400_000
            ? `${Math.round(abs / 3_600_000)}h`
            : `${Math.round(abs / 86_400_000)}d`;
  if (text === 'now') return 'due now';
  return ms > 0 ? `in ${text}` : `${text} overdue`;
}
