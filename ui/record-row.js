/** One record as a row of a table of records: the messages view's and the live tail's. */
import { h, isoTime } from './dom.js';
import { renderValue } from './values.js';

/** @typedef {import('./api.js').WireRecord} WireRecord */

/** One record as a row of the table (also the live tail's), with a last cell when given. @param {WireRecord} r @param {HTMLElement} [last] */
export function recordRow(r, last) {
  const headers = r.headers ?? {};
  const names = Object.keys(headers);
  return h(
    'tr',
    { 'data-offset': String(r.offset), 'data-partition': String(r.partition ?? 0) },
    h('td', { class: 'num' }, String(r.partition ?? 0)),
    h('td', { class: 'num' }, String(r.offset)),
    h('td', { class: 'time' }, h('time', { datetime: isoTime(r.timestamp) }, isoTime(r.timestamp).replace('T', ' ').replace('Z', ''))),
    h('td', { class: 'key' }, r.key === undefined || r.key === null ? h('span', { class: 'muted' }, '—') : r.key),
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
    h('td', { class: 'value' }, renderValue(r)),
    last,
  );
}
