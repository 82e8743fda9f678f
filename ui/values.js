/**
 * A record's value as the console shows it: JSON objects and arrays pretty-printed and collapsible (a
 * `<details>`: open when short, folded past COLLAPSE_LINES lines), text as text, bytes that are not UTF-8
 * (`valueBase64`) as a hex dump. Always as text nodes, never markup.
 */
import { h } from './dom.js';

/** Bytes shown of a binary value; the rest is counted. */
const MAX_HEX_BYTES = 4096;
/** Characters shown of a value before "show all". */
const MAX_TEXT = 20_000;
/** A JSON value of more lines than this starts folded. */
const COLLAPSE_LINES = 12;

/** @param {import('./api.js').WireRecord} r @returns {HTMLElement} */
export function renderValue(r) {
  if (typeof r.valueBase64 === 'string') return hexDump(r.valueBase64);
  const text = r.value ?? '';
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(text);
      const pretty = JSON.stringify(parsed, null, 2);
      const lines = pretty.split('\n').length;
      const size = Array.isArray(parsed)
        ? `[…] ${parsed.length} item${parsed.length === 1 ? '' : 's'}`
        : `{…} ${Object.keys(parsed).length} key${Object.keys(parsed).length === 1 ? '' : 's'}`;
      return h(
        'details',
        { class: 'json-value', open: lines <= COLLAPSE_LINES },
        h('summary', null, `${size}, ${lines} lines`),
        h('pre', { class: 'json', 'data-kind': 'json' }, clip(pretty)),
      );
    } catch {
      // not JSON after all: text
    }
  }
  return h('pre', { class: 'text', 'data-kind': 'text' }, clip(text));
}

/** @param {string} text */
function clip(text) {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n… ${text.length - MAX_TEXT} more characters` : text;
}

/** @param {string} base64 */
function hexDump(base64) {
  let bytes;
  try {
    const raw = atob(base64.slice(0, Math.ceil((MAX_HEX_BYTES * 4) / 3) + 4));
    bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0)).slice(0, MAX_HEX_BYTES);
  } catch {
    return h('pre', { class: 'binary' }, '(undecodable bytes)');
  }
  const total = Math.floor((base64.replace(/=+$/, '').length * 3) / 4);
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = bytes.slice(i, i + 16);
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (total > bytes.length) lines.push(`… ${total - bytes.length} more bytes`);
  return h('pre', { class: 'binary', 'data-kind': 'binary', title: `${total} bytes, not UTF-8` }, lines.join('\n'));
}
