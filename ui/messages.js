/**
 * The messages of a topic: pages of records, forward and backward, from the end, the start, an offset or
 * a time, of one partition or all of them; each record with partition, offset, time, key, headers and value
 * (JSON pretty-printed, text as text, binary as hex). The filter runs on the broker (the read routes'
 * `filter` parameter); the position and the filter live in the address, so a page can be shared. A filtered
 * read goes on, read after read of at most SCAN_STEP records, until the page is full or the log ends,
 * showing its progress (scanned, matched, bytes, elapsed) with a Stop button. Each record can be copied as
 * an `evq produce` or curl command and replayed; the loaded rows export as NDJSON (record-actions.js).
 *
 * Address: `#/topics/T/messages?partition=all|N&from=end|start|N|P:N,P:N&time=ISO&filter=EXPR&limit=N`.
 */
import { ApiError, getJson, readRecords, topicPath } from './api.js';
import { formatCount, h, replace } from './dom.js';
import { downloadNdjson, recordActions } from './record-actions.js';
import { scanProgress } from './scan-progress.js';
import { recordRow } from './record-row.js';

const LIMITS = [20, 50, 100, 200];
/** Offsets a backward filtered page looks at per read, and reads per page at most. */
const BACK_WINDOW = 2000;
const BACK_READS = 25;
/** Records a filtered forward read asks the broker to look at per read (progress shows between reads), and reads per page at most. */
const SCAN_STEP = 10_000;
const SCAN_READS = 1000;

/**
 * @typedef {import('./api.js').WireRecord} WireRecord
 * @typedef {{ partition: number, startOffset: number, endOffset: number }} Part
 * @typedef {{ kind: 'end' } | { kind: 'start' } | { kind: 'time', time: number } | { kind: 'offsets', offsets: Map<number, number> }} Position
 */

/** @param {HTMLElement} root @param {import('./app.js').Route} route @param {import('./app.js').App} app */
export function messagesView(root, route, app) {
  const topic = route.path[1];
  const q = route.query;
  let stopped = false;
  /** @type {Part[]} */
  let parts = [];
  /** Per partition shown: the first offset of this page and where the next page starts. */
  let page = { first: new Map(), next: new Map() };
  /** @type {WireRecord[]} the rows shown (what Export writes) */
  let loaded = [];

  const partitionSelect = /** @type {HTMLSelectElement} */ (h('select', { id: 'partition', 'aria-label': 'Partition' }));
  const fromSelect = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'from', 'aria-label': 'Start from', onchange: () => syncInputs() },
      h('option', { value: 'end' }, 'newest'),
      h('option', { value: 'start' }, 'oldest'),
      h('option', { value: 'offset' }, 'offset'),
      h('option', { value: 'time' }, 'time'),
    )
  );
  const offsetInput = /** @type {HTMLInputElement} */ (h('input', { id: 'offset', type: 'number', min: 0, 'aria-label': 'Offset' }));
  const timeInput = /** @type {HTMLInputElement} */ (h('input', { id: 'time', type: 'datetime-local', step: 1, 'aria-label': 'Time' }));
  const limitSelect = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'limit', 'aria-label': 'Records per page' },
      LIMITS.map((n) => h('option', { value: String(n) }, `${n} per page`)),
    )
  );
  const filterInput = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'filter',
      type: 'search',
      class: 'filter',
      spellcheck: 'false',
      autocomplete: 'off',
      placeholder: 'filter, run on the broker: value.amount > 100 && headers.type == "deposit"',
      'aria-label': 'Filter',
      maxlength: 4096,
    })
  );
  const older = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', id: 'older', onclick: () => void go('older') }, '← Older'));
  const newer = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', id: 'newer', onclick: () => void go('newer') }, 'Newer →'));
  const problem = h('div', { id: 'problem' });
  const progress = scanProgress();
  const copyBox = h('div', { id: 'copy-box', class: 'copy-box', hidden: true });
  const actionResult = h('div', { id: 'action-result', 'aria-live': 'polite' });
  const exportButton = /** @type {HTMLButtonElement} */ (
    h(
      'button',
      {
        type: 'button',
        id: 'export',
        disabled: true,
        onclick: () => downloadNdjson(loaded, `${topic}-${loaded[0]?.offset ?? 0}.ndjson`),
      },
      'Export NDJSON',
    )
  );
  const summary = h('p', { class: 'muted', id: 'summary', 'aria-live': 'polite' });
  const rows = h('tbody');

  replace(
    root,
    h('div', { class: 'toolbar' }, h('h1', null, h('a', { href: '#/topics' }, 'Topics'), ' / ', h('span', { class: 'topic-name' }, topic))),
    h(
      'form',
      {
        class: 'controls',
        'aria-label': 'Read messages',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          void go('here');
        },
      },
      partitionSelect,
      fromSelect,
      offsetInput,
      timeInput,
      limitSelect,
      filterInput,
      h('button', { type: 'submit' }, 'Read'),
    ),
    problem,
    progress.box,
    h('div', { class: 'pager' }, older, newer, exportButton, summary),
    actionResult,
    copyBox,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'messages' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Partition', 'Offset', 'Time', 'Key', 'Headers', 'Value', ''].map((label) => h('th', { scope: 'col' }, label)),
          ),
        ),
        rows,
      ),
    ),
  );

  function syncInputs() {
    offsetInput.hidden = fromSelect.value !== 'offset';
    timeInput.hidden = fromSelect.value !== 'time';
  }

  /** The partitions the controls name. @returns {Part[]} */
  function chosen() {
    return partitionSelect.value === 'all' ? parts : parts.filter((p) => String(p.partition) === partitionSelect.value);
  }

  function limit() {
    return Number(limitSelect.value);
  }

  /** The page's size per partition: all partitions share the page. */
  function perPartition() {
    return Math.max(1, Math.ceil(limit() / Math.max(1, chosen().length)));
  }

  /** The position the controls say. @returns {Position} */
  function positionFromControls() {
    if (fromSelect.value === 'start') return { kind: 'start' };
    if (fromSelect.value === 'time') {
      const time = new Date(timeInput.value).getTime();
      if (!Number.isFinite(time)) throw new Error('give a time to start from');
      return { kind: 'time', time };
    }
    if (fromSelect.value === 'offset') {
      const n = Number(offsetInput.value);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error('give an offset: a whole number >= 0');
      return { kind: 'offsets', offsets: new Map(chosen().map((p) => [p.partition, n])) };
    }
    return { kind: 'end' };
  }

  /**
   * Reads the page `direction` asks for and shows it: `here` is where the controls say (or `asked`, the
   * address's position, which may be finer than the controls show: a time to the millisecond).
   * @param {'here' | 'older' | 'newer'} direction @param {Position} [asked]
   */
  async function go(direction, asked) {
    replace(problem);
    /** @type {Position} */
    let position;
    try {
      position =
        asked !== undefined
          ? asked
          : direction === 'here'
            ? positionFromControls()
            : direction === 'newer'
              ? { kind: 'offsets', offsets: page.next }
              : { kind: 'offsets', offsets: page.first };
    } catch (err) {
      app.showError(err, problem);
      return;
    }
    const filter = filterInput.value.trim();
    const each = perPartition();
    progress.start(filter !== '');
    try {
      const results = await Promise.all(chosen().map((p) => readPart(p, position, direction === 'older', filter, each)));
      if (stopped) return;
      page = { first: new Map(), next: new Map() };
      /** @type {WireRecord[]} */
      const records = [];
      for (const r of results) {
        page.first.set(r.part.partition, r.first);
        page.next.set(r.part.partition, r.next);
        for (const record of r.records) records.push({ ...record, partition: record.partition ?? r.part.partition });
      }
      records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
      show(records, results);
      writeAddress(direction === 'here' ? position : { kind: 'offsets', offsets: page.first }, filter);
    } catch (err) {
      if (!stopped) app.showError(err, problem);
    } finally {
      progress.finish();
    }
  }

  function scanStopped() {
    return stopped || progress.stopped();
  }

  /**
   * One partition's share of a page.
   * @param {Part} p @param {Position} position @param {boolean} backward the page before `position`
   * @param {string} filter @param {number} n
   * @returns {Promise<{ part: Part, records: WireRecord[], first: number, next: number, end: number }>}
   */
  async function readPart(p, position, backward, filter, n) {
    const base = (/** @type {Record<string, string>} */ params, filtered = true) => {
      const query = new URLSearchParams({ partition: String(p.partition), ...params });
      if (filter !== '' && filtered) query.set('filter', filter);
      return topicPath(topic, `/messages?${query}`);
    };
    if (position.kind === 'end' || backward) {
      const before = position.kind === 'offsets' ? (position.offsets.get(p.partition) ?? p.endOffset) : Number.MAX_SAFE_INTEGER;
      return readBackward(p, before, filter, n, base);
    }
    /** @type {Record<string, string>} */
    let at;
    if (position.kind === 'start') at = { from: 'earliest' };
    else if (position.kind === 'time') at = { time: String(position.time) };
    else at = { from: String(position.offsets.get(p.partition) ?? p.startOffset) };
    if (filter === '') {
      const read = await readRecords(base({ ...at, limit: String(n) }));
      const first = read.records[0]?.offset ?? read.next ?? p.startOffset;
      return { part: p, records: read.records, first, next: read.next ?? first, end: read.end ?? p.endOffset };
    }
    // filtered: read on from where the broker stopped looking until the page is full, the log ends, or Stop
    /** @type {WireRecord[]} */
    const records = [];
    /** @type {number | null} */
    let next = null;
    /** @type {number | null} the first offset looked at */
    let looked = null;
    let end = p.endOffset;
    for (let i = 0; i < SCAN_READS; i++) {
      const read = await readRecords(base({ ...at, limit: String(n - records.length), scan: String(SCAN_STEP) }));
      progress.account(read);
      records.push(...read.records);
      end = read.end ?? end;
      if (read.next === null) break;
      looked ??= read.next - read.scanned;
      next = read.next;
      if (records.length >= n || next >= end || scanStopped()) break;
      at = { from: String(next) };
    }
    const first = records[0]?.offset ?? looked ?? p.startOffset;
    return { part: p, records, first, next: next ?? first, end };
  }

  /**
   * The last `n` records (that match) before offset `before`: unfiltered, one read (`last=n` for the newest
   * page: no probe of the end first, a round trip fewer on the console's first page); filtered, reads of windows of BACK_WINDOW offsets going back, at most BACK_READS of them.
   * @param {Part} p @param {number} before @param {string} filter @param {number} n
   * @param {(params: Record<string, string>, filtered?: boolean) => string} path
   */
  async function readBackward(p, before, filter, n, path) {
    const start = p.startOffset;
    if (filter === '') {
      // one read: the newest n (`last`), or the n before `before`; the reply says where the partition ends now
      const from = Math.max(start, before - n);
      const read =
        before === Number.MAX_SAFE_INTEGER
          ? await readRecords(path({ last: String(n), limit: String(n) }))
          : before > from
            ? await readRecords(path({ from: String(from), limit: String(before - from) }))
            : { records: [], end: null };
      const end = read.end ?? p.endOffset;
      const got = read.records.filter((r) => r.offset < before);
      const first = got[0]?.offset ?? Math.min(before, end);
      const next = got.length > 0 ? got[got.length - 1].offset + 1 : Math.min(before, end);
      return { part: p, records: got, first, next, end };
    }
    // filtered: where the partition ends now (it grows while the page is open), then windows going back
    const probe = await readRecords(path({ last: '1', limit: '1' }, false));
    const end = probe.end ?? p.endOffset;
    let cur = Math.min(before, end);
    /** @type {WireRecord[]} */
    let got = [];
    for (let i = 0; i < BACK_READS && cur > start && got.length < n; i++) {
      const from = Math.max(start, cur - BACK_WINDOW);
      if (scanStopped()) break;
      const read = await readRecords(path({ from: String(from), limit: String(Math.min(10000, cur - from)) }));
      progress.account(read);
      const upTo = cur;
      got = read.records.filter((r) => r.offset < upTo).concat(got);
      cur = from;
    }
    got = got.slice(-n);
    const first = got[0]?.offset ?? cur;
    const next = got.length > 0 ? got[got.length - 1].offset + 1 : Math.min(before, end);
    return { part: p, records: got, first, next, end };
  }

  /** @param {WireRecord[]} records @param {{ part: Part, first: number, next: number, end: number }[]} results */
  function show(records, results) {
    replace(
      rows,
      records.length === 0
        ? h(
            'tr',
            null,
            h('td', { colspan: 7, class: 'muted' }, filterInput.value.trim() === '' ? 'No messages here.' : 'No message matches here.'),
          )
        : records.map((r) => recordRow(r, recordActions(r, topic, app, copyBox, actionResult))),
    );
    loaded = records;
    exportButton.disabled = records.length === 0;
    const atStart = results.every((r) => r.first <= r.part.startOffset);
    const atEnd = results.every((r) => r.next >= r.end);
    older.disabled = atStart;
    newer.disabled = atEnd;
    const range = results
      .map((r) => `${results.length > 1 ? `p${r.part.partition} ` : ''}${r.first}…${Math.max(r.first, r.next - 1)} of ${r.end}`)
      .join(', ');
    replace(summary, `${formatCount(records.length)} message${records.length === 1 ? '' : 's'} · offsets ${range}`);
  }

  /** The address of this page. @param {Position} position @param {string} filter */
  function writeAddress(position, filter) {
    const query = new URLSearchParams();
    query.set('partition', partitionSelect.value);
    if (position.kind === 'time') query.set('time', new Date(position.time).toISOString());
    else if (position.kind === 'offsets') {
      const entries = [...position.offsets];
      query.set('from', partitionSelect.value === 'all' ? entries.map(([p, o]) => `${p}:${o}`).join(',') : String(entries[0]?.[1] ?? 0));
    } else query.set('from', position.kind);
    if (filter !== '') query.set('filter', filter);
    if (limit() !== 50) query.set('limit', String(limit()));
    history.replaceState(null, '', `#/topics/${encodeURIComponent(topic)}/messages?${query}`);
  }

  /** The position and controls of the address (what a shared link says). @returns {Position} */
  function positionFromAddress() {
    const time = q.get('time');
    if (time !== null && Number.isFinite(Date.parse(time))) {
      fromSelect.value = 'time';
      timeInput.value = localInputTime(Date.parse(time));
      return { kind: 'time', time: Date.parse(time) };
    }
    const from = q.get('from') ?? 'end';
    if (from === 'start' || from === 'end') {
      fromSelect.value = from;
      return { kind: from };
    }
    /** @type {Map<number, number>} */
    const offsets = new Map();
    if (/^\d+$/.test(from)) for (const p of chosen()) offsets.set(p.partition, Number(from));
    else
      for (const pair of from.split(',').slice(0, 10000)) {
        const m = /^(\d+):(\d+)$/.exec(pair);
        if (m !== null) offsets.set(Number(m[1]), Number(m[2]));
      }
    fromSelect.value = 'offset';
    offsetInput.value = String([...offsets.values()][0] ?? 0);
    return { kind: 'offsets', offsets };
  }

  async function open() {
    try {
      const info = await getJson(topicPath(topic));
      if (stopped) return;
      parts = info.partitions.map((/** @type {Part} */ p) => ({
        partition: p.partition,
        startOffset: p.startOffset,
        endOffset: p.endOffset,
      }));
    } catch (err) {
      if (stopped) return;
      if (err instanceof ApiError && err.status === 404) app.showError(new Error(`topic "${topic}" does not exist`), root);
      else app.showError(err, root);
      return;
    }
    replace(
      partitionSelect,
      parts.length > 1 ? h('option', { value: 'all' }, 'all partitions') : null,
      parts.map((p) => h('option', { value: String(p.partition) }, `partition ${p.partition}`)),
    );
    const asked = q.get('partition');
    partitionSelect.value =
      asked !== null && [...partitionSelect.options].some((o) => o.value === asked) ? asked : parts.length > 1 ? 'all' : '0';
    const limitAsked = q.get('limit') ?? '50';
    if (![...limitSelect.options].some((o) => o.value === limitAsked))
      limitSelect.append(h('option', { value: limitAsked }, `${limitAsked} per page`));
    limitSelect.value = limitAsked;
    filterInput.value = q.get('filter') ?? '';
    const position = positionFromAddress();
    syncInputs();
    if (position.kind === 'offsets') {
      page.first = position.offsets;
      page.next = position.offsets;
      await go('newer');
    } else await go('here', position);
  }

  void open();
  return () => {
    stopped = true;
    progress.stop();
  };
}

/** A time as a datetime-local input takes it (local time, to the second). @param {number} ms */
function localInputTime(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

export { recordRow };
