/**
 * Live tail of a topic: a WebSocket subscription (`/subscribe/{topic}`, every partition, from the newest)
 * with the filter run on the broker, pausable. The page keeps at most `max` rows (default 500, the newest
 * first): what falls off is counted, so the page never grows without bound. A paused tail has no
 * subscription; it resumes from the newest record.
 *
 * Address: `#/topics/T/tail?filter=EXPR&max=N`.
 */
import { getToken, readRecords, topicPath } from './api.js';
import { formatCount, h, replace } from './dom.js';
import { recordRow } from './messages.js';

const DEFAULT_MAX = 500;
const MAX_MAX = 5000;

/** @param {HTMLElement} root @param {import('./app.js').Route} route @param {import('./app.js').App} app */
export function tailView(root, route, app) {
  const topic = route.path[1];
  const asked = Number(route.query.get('max') ?? DEFAULT_MAX);
  const max = Number.isSafeInteger(asked) && asked >= 1 ? Math.min(asked, MAX_MAX) : DEFAULT_MAX;
  /** @type {WebSocket | null} */
  let socket = null;
  let received = 0;
  let dropped = 0;
  let stopped = false;
  /** Bumped by every pause: a start still checking its filter then gives up. */
  let generation = 0;

  const filterInput = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'filter',
      type: 'search',
      class: 'filter',
      spellcheck: 'false',
      autocomplete: 'off',
      placeholder: 'filter, run on the broker: value.amount > 100',
      'aria-label': 'Filter',
      maxlength: 4096,
      value: route.query.get('filter') ?? '',
    })
  );
  const toggle = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', id: 'toggle', onclick: () => (state.getAttribute('data-state') === 'paused' ? void start() : pause()) })
  );
  const state = h('span', { id: 'state', class: 'badge', 'aria-live': 'polite' });
  const counts = h('p', { id: 'counts', class: 'muted', 'aria-live': 'polite' });
  const problem = h('div', { id: 'problem' });
  const rows = h('tbody');

  replace(
    root,
    h(
      'div',
      { class: 'toolbar' },
      h(
        'h1',
        null,
        h('a', { href: '#/topics' }, 'Topics'),
        ' / ',
        h('a', { href: `#/topics/${encodeURIComponent(topic)}/messages` }, topic),
        ' / live',
      ),
      state,
    ),
    h(
      'form',
      {
        class: 'controls',
        'aria-label': 'Live tail',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          pause();
          void start();
        },
      },
      filterInput,
      h('button', { type: 'submit' }, 'Apply'),
      toggle,
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            replace(rows);
            received = 0;
            dropped = 0;
            drawCounts();
          },
        },
        'Clear',
      ),
    ),
    problem,
    counts,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'messages tail' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Partition', 'Offset', 'Time', 'Key', 'Headers', 'Value'].map((label) => h('th', { scope: 'col' }, label)),
          ),
        ),
        rows,
      ),
    ),
  );

  function drawCounts() {
    replace(
      counts,
      `${formatCount(received)} received · ${formatCount(rows.childElementCount)} shown (at most ${formatCount(max)}) · ${formatCount(dropped)} dropped from view`,
    );
  }

  /** @param {'live' | 'paused' | 'connecting'} s */
  function setState(s) {
    replace(state, s);
    state.setAttribute('data-state', s);
    replace(toggle, s === 'paused' ? 'Resume' : 'Pause');
  }

  async function start() {
    const gen = ++generation;
    replace(problem);
    const filter = filterInput.value.trim();
    const query = new URLSearchParams();
    if (filter !== '') query.set('filter', filter);
    if (max !== DEFAULT_MAX) query.set('max', String(max));
    history.replaceState(null, '', `#/topics/${encodeURIComponent(topic)}/tail${query.size > 0 ? `?${query}` : ''}`);
    setState('connecting');
    if (filter !== '') {
      // the broker's parser says what is wrong, with its column: a read of one record checks the filter
      try {
        await readRecords(topicPath(topic, `/messages?${new URLSearchParams({ partition: '0', last: '1', filter })}`));
      } catch (err) {
        if (!(err instanceof Error && /does not exist/.test(err.message))) {
          setState('paused');
          app.showError(err, problem);
          return;
        }
      }
    }
    if (stopped || gen !== generation) return;
    const params = new URLSearchParams({ from: 'latest' });
    if (filter !== '') params.set('filter', filter);
    // a browser's WebSocket cannot set headers: the token goes in the query, as docs/PROTOCOL.md says
    const token = getToken();
    if (token !== null) params.set('token', token);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/subscribe/${encodeURIComponent(topic)}?${params}`);
    socket = ws;
    ws.onmessage = (e) => {
      if (socket !== ws || typeof e.data !== 'string') return;
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (msg === null || typeof msg !== 'object') return;
      if (typeof msg.op === 'string') {
        if (msg.op === 'subscribed') setState('live');
        else if (msg.op === 'closed' || msg.op === 'error') app.showError(new Error(String(msg.message)), problem);
        return;
      }
      received++;
      rows.prepend(recordRow(msg));
      while (rows.childElementCount > max) {
        rows.lastElementChild?.remove();
        dropped++;
      }
      drawCounts();
    };
    ws.onclose = (e) => {
      if (socket !== ws) return;
      socket = null;
      setState('paused');
      if (!stopped && e.code !== 1000)
        app.showError(new Error(`the subscription ended (${e.code}${e.reason === '' ? '' : `: ${e.reason}`})`), problem);
    };
  }

  function pause() {
    generation++;
    const ws = socket;
    socket = null;
    ws?.close(1000);
    setState('paused');
  }

  drawCounts();
  void start();
  return () => {
    stopped = true;
    pause();
  };
}
