/**
 * The topics view: a sortable, searchable table of every topic (partitions, messages, size, offsets, produce
 * rate over the last refresh, subscribers) and the broker's retention, refreshed every few seconds; create (name, partitions) and delete with a confirmation that
 * names the topic, both hidden when the console is read-only.
 */
import { getJson, request, sendJson, topicPath } from './api.js';
import { confirmDialog, formatBytes, formatCount, h, replace } from './dom.js';

const REFRESH_MS = 3000;

/**
 * @typedef {{ partition: number, startOffset: number, endOffset: number, messageCount: number, sizeBytes: number }} PartitionInfo
 * @typedef {{ topic: string, startOffset: number, endOffset: number, messageCount: number, sizeBytes: number,
 *   subscribers: number, partitions: PartitionInfo[] }} TopicInfo
 */

/**
 * Each topic's produce rate, msgs/s over the last refresh: how far its end offsets moved (a topic first seen,
 * or one whose offsets went back — deleted and made again —, has none yet). Kept for the page, not per view.
 * @type {Map<string, number>}
 */
const rates = new Map();
/** @type {Map<string, { end: number, at: number }>} */
const lastSeen = new Map();

/** @param {TopicInfo[]} topics @param {number} now */
function updateRates(topics, now) {
  for (const t of topics) {
    const before = lastSeen.get(t.topic);
    if (before !== undefined && now > before.at && t.endOffset >= before.end)
      rates.set(t.topic, ((t.endOffset - before.end) * 1000) / (now - before.at));
    else if (before === undefined || t.endOffset < before.end) rates.delete(t.topic);
    lastSeen.set(t.topic, { end: t.endOffset, at: now });
  }
}

/** "1 GiB a partition, 7 d" from GET /info's retention. @param {{ bytesPerPartition: number | null, ageMs: number | null }} r */
function retentionText(r) {
  const parts = [];
  if (r.bytesPerPartition !== null) parts.push(`${formatBytes(r.bytesPerPartition)} a partition`);
  if (r.ageMs !== null) parts.push(`${formatAge(r.ageMs)}`);
  return parts.length === 0 ? 'Retention: none (every message is kept)' : `Retention (every topic): ${parts.join(', ')}`;
}

/** @param {number} ms */
function formatAge(ms) {
  const units = /** @type {const} */ ([
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ]);
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

/** The columns: header, sort key, cell. @type {{ id: string, label: string, key: (t: TopicInfo) => string | number, numeric: boolean }[]} */
const COLUMNS = [
  { id: 'topic', label: 'Topic', key: (t) => t.topic, numeric: false },
  { id: 'partitions', label: 'Partitions', key: (t) => t.partitions.length, numeric: true },
  { id: 'messages', label: 'Messages', key: (t) => t.messageCount, numeric: true },
  { id: 'size', label: 'Size', key: (t) => t.sizeBytes, numeric: true },
  { id: 'offsets', label: 'Offsets', key: (t) => t.endOffset, numeric: true },
  { id: 'rate', label: 'Produced/s', key: (t) => rates.get(t.topic) ?? -1, numeric: true },
  { id: 'subscribers', label: 'Subscribers', key: (t) => t.subscribers, numeric: true },
];

/** @param {HTMLElement} root @param {import('./app.js').Route} route @param {import('./app.js').App} app */
export function topicsView(root, route, app) {
  /** @type {TopicInfo[]} */
  let topics = [];
  let sortBy = route.query.get('sort') ?? 'topic';
  let descending = route.query.get('desc') === '1';
  let stopped = false;

  const search = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'search',
      id: 'topic-search',
      placeholder: 'Search topics',
      'aria-label': 'Search topics',
      value: route.query.get('q') ?? '',
      oninput: () => draw(),
    })
  );
  const body = h('tbody');
  const head = h('tr');
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const retention = h('p', { class: 'muted', id: 'retention' });
  const problem = h('div');

  const table = h('table', { class: 'topics' }, h('thead', null, head), body);
  replace(
    root,
    h('div', { class: 'toolbar' }, h('h1', null, 'Topics'), search, h('button', { type: 'button', onclick: () => void load() }, 'Refresh')),
    app.readOnly ? null : createForm(),
    problem,
    h('div', { class: 'scroll' }, table),
    status,
    retention,
  );
  getJson('/info').then(
    (info) => replace(retention, retentionText(info.retention)),
    () => replace(retention),
  );

  function createForm() {
    const name = /** @type {HTMLInputElement} */ (
      h('input', { id: 'new-topic', name: 'topic', required: true, maxlength: 249, placeholder: 'orders', autocomplete: 'off' })
    );
    const partitions = /** @type {HTMLInputElement} */ (
      h('input', { id: 'new-partitions', name: 'partitions', type: 'number', min: 1, max: 10000, value: '1', required: true })
    );
    const note = h('span', { class: 'muted', 'aria-live': 'polite' });
    return h(
      'form',
      {
        class: 'create',
        'aria-label': 'Create a topic',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          replace(note);
          try {
            const reply = await sendJson('PUT', topicPath(name.value), { partitions: Number(partitions.value) });
            replace(note, reply.created ? `Created ${reply.topic}.` : `${reply.topic} exists.`);
            name.value = '';
            await load();
          } catch (err) {
            app.showError(err, note);
          }
        },
      },
      h('label', { for: 'new-topic' }, 'New topic'),
      name,
      h('label', { for: 'new-partitions' }, 'Partitions'),
      partitions,
      h('button', { type: 'submit' }, 'Create'),
      note,
    );
  }

  /** @param {TopicInfo} t */
  async function remove(t) {
    const yes = await confirmDialog(
      `Delete topic “${t.topic}”?`,
      `Its ${formatCount(t.messageCount)} messages and its groups' offsets are removed. This cannot be undone.`,
      `Delete ${t.topic}`,
    );
    if (!yes) return;
    try {
      await request(topicPath(t.topic), { method: 'DELETE' });
      await load();
    } catch (err) {
      app.showError(err, problem);
    }
  }

  function drawHead() {
    replace(
      head,
      COLUMNS.map((c) =>
        h(
          'th',
          {
            scope: 'col',
            class: c.numeric ? 'num' : null,
            'aria-sort': sortBy === c.id ? (descending ? 'descending' : 'ascending') : 'none',
          },
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              onclick: () => {
                descending = sortBy === c.id ? !descending : c.numeric;
                sortBy = c.id;
                draw();
              },
            },
            c.label,
            sortBy === c.id ? (descending ? ' ▼' : ' ▲') : '',
          ),
        ),
      ),
      app.readOnly ? null : h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
    );
  }

  function draw() {
    drawHead();
    const needle = search.value.trim().toLowerCase();
    const column = COLUMNS.find((c) => c.id === sortBy) ?? COLUMNS[0];
    const shown = topics.filter((t) => needle === '' || t.topic.toLowerCase().includes(needle));
    shown.sort((a, b) => {
      const x = column.key(a);
      const y = column.key(b);
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return (descending ? -order : order) || a.topic.localeCompare(b.topic);
    });
    replace(
      body,
      shown.map((t) =>
        h(
          'tr',
          { 'data-topic': t.topic },
          h('th', { scope: 'row' }, h('a', { href: `#/topics/${encodeURIComponent(t.topic)}/messages` }, t.topic)),
          h('td', { class: 'num' }, formatCount(t.partitions.length)),
          h('td', { class: 'num' }, formatCount(t.messageCount)),
          h('td', { class: 'num' }, formatBytes(t.sizeBytes)),
          h('td', { class: 'num' }, offsets(t)),
          h('td', { class: 'num rate' }, rates.has(t.topic) ? formatCount(Math.round(rates.get(t.topic) ?? 0)) : '–'),
          h('td', { class: 'num' }, formatCount(t.subscribers)),
          app.readOnly
            ? null
            : h('td', null, h('button', { type: 'button', class: 'danger small', onclick: () => void remove(t) }, 'Delete')),
        ),
      ),
    );
    replace(
      status,
      topics.length === 0
        ? 'No topics yet: produce to one (evq produce orders hello) or create it above.'
        : `${shown.length} of ${topics.length} topics`,
    );
    const query = new URLSearchParams();
    if (search.value !== '') query.set('q', search.value);
    if (sortBy !== 'topic') query.set('sort', sortBy);
    if (descending) query.set('desc', '1');
    const hash = `#/topics${query.size > 0 ? `?${query}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }

  async function load() {
    try {
      const reply = await getJson('/topics');
      if (stopped) return;
      topics = reply.topics;
      updateRates(topics, Date.now());
      replace(problem);
      draw();
    } catch (err) {
      if (!stopped) app.showError(err, problem);
    }
  }

  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** First..last offset of each partition (a partition with none: "empty"). @param {TopicInfo} t */
function offsets(t) {
  const one = (/** @type {PartitionInfo} */ p) => (p.endOffset > p.startOffset ? `${p.startOffset}…${p.endOffset - 1}` : 'empty');
  if (t.partitions.length === 1) return one(t.partitions[0]);
  return h(
    'details',
    null,
    h('summary', null, `${t.partitions.length} partitions`),
    h(
      'ul',
      { class: 'plain' },
      t.partitions.map((p) => h('li', null, `p${p.partition}: ${one(p)}`)),
    ),
  );
}
