import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict } from '../../../src/protocol/base64.js';

describe('decodeBase64Strict', () => {
  it('decodes what Buffer encodes, every length from 0 to 64 bytes', () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = randomBytes(n);
      expect(decodeBase64Strict(bytes.toString('base64'))?.equals(bytes)).toBe(true);
    }
  });

  it.each([
    ['@@@@', 'not the alphabet'],
    ['!!!', 'not the alphabet, not padded'],
    ['A', 'one character'],
    ['AAE', 'unpadded'],
    ['AA=', 'short padding'],
    ['AA=A', 'padding inside'],
    ['A===', 'three pad characters'],
    ['AB==', 'non-zero pad bits'],
    ['AA AA', 'a space'],
    ['AAEC\n', 'a newline'],
    ['-_8=', "base64url's alphabet"],
  ])('refuses %j (%s) where Buffer.from would return other bytes', (text) => {
    expect(decodeBase64Strict(text)).toBeUndefined();
  });
});
