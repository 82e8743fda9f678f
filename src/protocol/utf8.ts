/**
 * UTF-8 for the record codec. Short strings (keys, header names and values, small values) are encoded and
 * decoded in JavaScript: several times faster than one call into C++ per string. Longer ones use Buffer's
 * native code. Results are exactly Buffer's: a lone surrogate is written as U+FFFD (EF BF BD). Pure.
 */
import { isUtf8 } from 'node:buffer';

/** Strings up to this many UTF-16 code units (or bytes, to decode) take the JavaScript path. */
export const SHORT_STRING = 64;

/** UTF-8 byte length of `text` (as `Buffer.byteLength(text, 'utf8')`). */
export function utf8ByteLength(text: string): number {
  const n = text.length;
  if (n > SHORT_STRING) return Buffer.byteLength(text, 'utf8');
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 2;
        i++;
        continue;
      }
    }
    bytes += 2;
  }
  return bytes;
}

/** Writes `text` as UTF-8 at `pos` (the room was measured with utf8ByteLength); returns the bytes written. */
export function writeUtf8(buf: Buffer, text: string, pos: number): number {
  const n = text.length;
  if (n > SHORT_STRING) return buf.write(text, pos, 'utf8');
  let p = pos;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
      continue;
    }
    if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = c <= 0xdbff && i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[p++] = 0xf0 | (cp >> 18);
        buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[p++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    buf[p++] = 0xe0 | (c >> 12);
    buf[p++] = 0x80 | ((c >> 6) & 0x3f);
    buf[p++] = 0x80 | (c & 0x3f);
  }
  return p - pos;
}

/** Decodes `buf[start, end)` as UTF-8; `null` when the bytes are not valid UTF-8. */
export function readUtf8(buf: Buffer, start: number, end: number): string | null {
  if (end === start) return '';
  if (end - start <= SHORT_STRING) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if ((buf[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return buf.toString('latin1', start, end);
  }
  const bytes = buf.subarray(start, end);
  return isUtf8(bytes) ? bytes.toString('utf8') : null;
}

/** Whether `buf[start, end)` is valid UTF-8 (what {@link readUtf8} accepts), without decoding it. */
export function isUtf8Range(buf: Buffer, start: number, end: number): boolean {
  if (end - start <= SHORT_STRING) {
    let i = start;
    while (i < end && (buf[i] as number) < 0x80) i++;
    if (i === end) return true;
  }
  return isUtf8(buf.subarray(start, end));
}
