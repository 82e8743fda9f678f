/**
 * What the messages view does with a record besides showing it: copy it as an `evq produce` command or a curl
 * command (quoted for a POSIX shell: every argument in single quotes, a quote inside as '\''), replay it
 * (produce it again, to the same or another topic), and export the loaded rows as NDJSON (a download of a
 * Blob URL: nothing leaves the page). The token is never put in a command: `evq` reads EVQ_TOKEN, curl gets
 * `"Authorization: Bearer $EVQ_TOKEN"` expanded by the shell.
 */
import { getToken, request, topicPath } from './api.js';
import { confirmDialog, h, replace } from './dom.js';

/** @typedef {import('./api.js').WireRecord} WireRecord */

/** One argument for a POSIX shell: single-quoted, so nothing in it ($, `, \, ", newlines) is interpreted. @param {string} s */
export function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The broker's address as the page sees it. */
function brokerUrl() {
  return location.origin;
}

/**
 * `evq produce` for a record (null for a value that is not UTF-8: an argument cannot carry any byte).
 * @param {WireRecord} r @param {string} topic
 */
export function produceCommand(r, topic) {
  // a NUL cannot be in a command-line argument either
  if (typeof r.value !== 'string' || r.value.includes('\0')) return null;
  // the topic after the flags: a topic may start with "-", which would read as an option first
  const args = ['evq', 'produce', '--url', shellQuote(brokerUrl())];
  if (r.key !== undefined && r.key !== null) args.push('--key', shellQuote(r.key));
  for (const [name, value] of Object.entries(r.headers ?? {})) args.push('--header', shellQuote(`${name}=${value}`));
  args.push('--', shellQuote(topic), shellQuote(r.value));
  return args.join(' ');
}

/** The NDJSON line that produces the record again (`POST /topics/{t}/batch`). @param {WireRecord} r */
export function produceLine(r) {
  /** @type {Record<string, unknown>} */
  const message = {};
  if (typeof r.valueBase64 === 'string') message.valueBase64 = r.valueBase64;
  else message.value = r.value ?? '';
  if (r.key !== undefined && r.key !== null) message.key = r.key;
  if (r.headers !== undefined && r.headers !== null && Object.keys(r.headers).length > 0) message.headers = r.headers;
  return JSON.stringify(message);
}

/** curl for a record: an NDJSON batch of one, so key, headers and any value go as JSON. @param {WireRecord} r @param {string} topic */
export function curlCommand(r, topic) {
  const args = ['curl', '-sS', '-X', 'POST', shellQuote(`${brokerUrl()}${topicPath(topic, '/batch')}`)];
  args.push('-H', shellQuote('content-type: application/x-ndjson'));
  if (getToken() !== null) args.push('-H', '"Authorization: Bearer $EVQ_TOKEN"');
  args.push('--data-binary', shellQuote(produceLine(r)));
  return args.join(' ');
}

/** The records as NDJSON, one as a read returns it a line. @param {WireRecord[]} records */
export function toNdjson(records) {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/**
 * Downloads the records as an NDJSON file through a Blob URL (revoked right after).
 * @param {WireRecord[]} records @param {string} name
 */
export function downloadNdjson(records, name) {
  const url = URL.createObjectURL(new Blob([toNdjson(records)], { type: 'application/x-ndjson' }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Puts `text` in the copy box (where it can be read and selected) and on the clipboard when the page may
 * write it. @param {HTMLElement} box @param {string} label @param {string} text
 */
export async function copyText(box, label, text) {
  const pre = h('pre', { id: 'copy-text', class: 'copy-text', tabindex: 0 }, text);
  const status = h('span', { class: 'muted', id: 'copy-status' }, '');
  replace(box, h('div', { class: 'copy-head' }, h('strong', null, label), ' ', status), pre);
  box.hidden = false;
  try {
    await navigator.clipboard.writeText(text);
    replace(status, 'copied to the clipboard');
  } catch {
    replace(status, 'select it and copy (the browser keeps the clipboard from this page)');
    const range = document.createRange();
    range.selectNodeContents(pre);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
  }
}

/**
 * Asks where to replay a record (its topic by default) and produces it there again.
 * @param {WireRecord} r @param {string} topic @returns {Promise<string | null>} what was done, or null when not asked to
 */
export async function replayRecord(r, topic) {
  const target = /** @type {HTMLInputElement} */ (
    h('input', { id: 'replay-topic', value: topic, autocomplete: 'off', maxlength: 249, 'aria-label': 'Topic to produce to' })
  );
  const yes = await confirmDialog(
    'Replay this message?',
    [`Offset ${r.offset} of partition ${r.partition ?? 0} is produced again, with its key and headers, to the topic: `, target],
    'Replay',
  );
  if (!yes) return null;
  const to = target.value.trim();
  if (to === '') throw new Error('name a topic to replay to');
  const res = await request(topicPath(to, '/batch'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: produceLine(r),
  });
  const reply = await res.json();
  return `Replayed to “${to}”: partition ${reply.partition}, offset ${reply.baseOffset}.`;
}

/**
 * The last cell of a record's row: copy as `evq produce` or curl (into `copyBox` and the clipboard), and
 * replay (not in a read-only console; its outcome in `result`).
 * @param {WireRecord} r @param {string} topic @param {import('./app.js').App} app
 * @param {HTMLElement} copyBox @param {HTMLElement} result
 */
export function recordActions(r, topic, app, copyBox, result) {
  const evq = produceCommand(r, topic);
  const button = (/** @type {string} */ cls, /** @type {string} */ label, /** @type {string} */ text, /** @type {() => void} */ onclick) =>
    h('button', { type: 'button', class: `small ${cls}`, title: label, 'aria-label': label, onclick }, text);
  const copyEvq = button(
    'copy-evq',
    'Copy as evq produce',
    'evq',
    () => void copyText(copyBox, 'evq produce', /** @type {string} */ (evq)),
  );
  if (evq === null) {
    copyEvq.setAttribute('disabled', '');
    copyEvq.title = 'the value is not UTF-8: copy as curl';
  }
  const replay = async () => {
    replace(result);
    try {
      const done = await replayRecord(r, topic);
      if (done !== null) replace(result, h('p', { class: 'ok' }, done));
    } catch (err) {
      app.showError(err, result);
    }
  };
  return h(
    'td',
    { class: 'actions' },
    copyEvq,
    button('copy-curl', 'Copy as curl', 'curl', () => void copyText(copyBox, 'curl', curlCommand(r, topic))),
    app.readOnly ? null : button('replay', 'Replay: produce it again, to this or another topic', 'Replay', () => void replay()),
  );
}
