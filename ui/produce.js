/**
 * Produce to a topic from the console: key, headers (one `name=value` a line), value (checked as JSON when
 * asked), partition, delay and count, sent as one NDJSON batch (`POST /topics/{topic}/batch`, appended whole
 * or not at all). Not shown when the console is read-only.
 *
 * Address: `#/topics/T/produce`.
 */
import { request, topicPath } from './api.js';
import { h, replace, isoTime } from './dom.js';

const MAX_COUNT = 1000;
const MAX_HEADERS = 64;

/** @param {HTMLElement} root @param {import('./app.js').Route} route @param {import('./app.js').App} app */
export function produceView(root, route, app) {
  const topic = route.path[1];
  const title = h(
    'h1',
    null,
    h('a', { href: '#/topics' }, 'Topics'),
    ' / ',
    h('a', { href: `#/topics/${encodeURIComponent(topic)}/messages` }, topic),
    ' / produce',
  );
  if (app.readOnly) {
    replace(
      root,
      h('div', { class: 'toolbar' }, title),
      h('p', { class: 'muted' }, 'This console is read-only (evq serve --ui-read-only).'),
    );
    return undefined;
  }
  const field = (/** @type {string} */ id, /** @type {string} */ label, /** @type {HTMLElement} */ input) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const key = /** @type {HTMLInputElement} */ (h('input', { id: 'p-key', autocomplete: 'off', maxlength: 4096 }));
  const headers = /** @type {HTMLTextAreaElement} */ (
    h('textarea', { id: 'p-headers', rows: 3, placeholder: 'type=deposit', spellcheck: 'false' })
  );
  const value = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'p-value', rows: 8, required: true, spellcheck: 'false' }));
  const asJson = /** @type {HTMLInputElement} */ (h('input', { id: 'p-json', type: 'checkbox', checked: true }));
  const partition = /** @type {HTMLInputElement} */ (
    h('input', { id: 'p-partition', type: 'number', min: 0, placeholder: 'placed by key' })
  );
  const delay = /** @type {HTMLInputElement} */ (
    h('input', { id: 'p-delay', placeholder: '5s, 2m (none: now)', autocomplete: 'off', maxlength: 40 })
  );
  const count = /** @type {HTMLInputElement} */ (
    h('input', { id: 'p-count', type: 'number', min: 1, max: MAX_COUNT, value: '1', required: true })
  );
  const result = h('div', { id: 'result', 'aria-live': 'polite' });

  replace(
    root,
    h('div', { class: 'toolbar' }, title),
    h(
      'form',
      {
        class: 'produce',
        'aria-label': 'Produce',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          replace(result);
          try {
            const reply = await send();
            replace(
              result,
              h(
                'p',
                { class: 'ok' },
                reply.delayed
                  ? `${reply.count} message${reply.count === 1 ? '' : 's'} waiting until ${isoTime(reply.dueAt)}`
                  : `Produced ${reply.count} message${reply.count === 1 ? '' : 's'} to partition ${reply.partition}, offsets ${reply.baseOffset}…${reply.lastOffset}`,
              ),
            );
          } catch (err) {
            app.showError(err, result);
          }
        },
      },
      field('p-key', 'Key', key),
      field('p-headers', 'Headers (name=value, one a line)', headers),
      field('p-value', 'Value', value),
      h('div', { class: 'field inline' }, asJson, h('label', { for: 'p-json' }, 'must be JSON')),
      field('p-partition', 'Partition', partition),
      field('p-delay', 'Delay', delay),
      field('p-count', 'Count', count),
      h('div', null, h('button', { type: 'submit' }, 'Produce')),
      result,
    ),
  );

  async function send() {
    if (asJson.checked) {
      try {
        JSON.parse(value.value);
      } catch (err) {
        throw new Error(
          `the value is not JSON: ${err instanceof Error ? err.message : String(err)} (untick "must be JSON" to send it as text)`,
        );
      }
    }
    /** @type {Record<string, string>} */
    const parsedHeaders = Object.create(null);
    const lines = headers.value.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > MAX_HEADERS) throw new Error(`at most ${MAX_HEADERS} headers`);
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new Error(`a header is name=value: "${line.slice(0, 60)}"`);
      parsedHeaders[line.slice(0, eq).trim()] = line.slice(eq + 1);
    }
    const n = Number(count.value);
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_COUNT) throw new Error(`the count is 1 to ${MAX_COUNT}`);
    /** @type {Record<string, unknown>} */
    const message = { value: value.value };
    if (key.value !== '') message.key = key.value;
    if (lines.length > 0) message.headers = parsedHeaders;
    const line = JSON.stringify(message);
    /** @type {Record<string, string>} */
    const http = { 'content-type': 'application/x-ndjson' };
    if (partition.value !== '') http['evq-partition'] = partition.value;
    if (delay.value.trim() !== '') http['evq-delay'] = delay.value.trim();
    const res = await request(topicPath(topic, '/batch'), { method: 'POST', headers: http, body: Array(n).fill(line).join('\n') });
    return res.json();
  }
  return undefined;
}
