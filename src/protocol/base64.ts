/**
 * Strict base64 for bytes a user sends as text (`valueBase64` in NDJSON batches, `evq produce --json` lines,
 * and the broker's NDJSON reads the client decodes): RFC 4648's alphabet (A–Z a–z 0–9 + /), padded with `=`
 * to a multiple of 4, no spaces, and the unused bits of the last character zero. `Buffer.from(x, 'base64')`
 * never fails (it skips what it does not know), so a typo would be stored as other bytes; this refuses it.
 */

/** What a refused text is told (the caller adds where: the line, the field). */
export const BASE64_EXPECTED = 'not valid base64 (RFC 4648: A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)';

/** The bytes of a strict base64 text, or undefined when it is not one. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from skips what is not base64 (and takes base64url's - and _): the text is strict base64 exactly
  // when it is the canonical encoding of what it decoded to, which holds only A-Z a-z 0-9 + / and the right
  // padding, and has zero pad bits ("AB==" is not "AQ==")
  if (bytes.toString('base64') !== text) return undefined;
  return bytes;
}
