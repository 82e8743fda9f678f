import { describe, expect, it } from 'vitest';
import { fastAckSeq, readAck } from '../../../../src/client/nats/ack-publisher.js';
import { EvqError } from '../../../../src/errors.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('reading JetStream publish acknowledgements', () => {
  it('reads the sequence without JSON.parse, as JSON.parse would', () => {
    for (const text of [
      '{"stream":"orders","seq":1}',
      '{"stream":"a_2Eb","seq":9007199254740,"duplicate":true}',
      '{"stream":"S","seq":42,"domain":"hub"}',
    ]) {
      expect(fastAckSeq(bytes(text))).toBe((JSON.parse(text) as { seq: number }).seq);
      expect(readAck({ data: bytes(text), headers: undefined })).toBe((JSON.parse(text) as { seq: number }).seq);
    }
  });

  it('leaves anything else to the full parser', () => {
    for (const text of [
      '{"error":{"code":400,"description":"bad"}}',
      '{"seq":5,"stream":"S"}',
      '{"stream":"S","seq":}',
      '{"stream":"S"',
      '',
    ]) {
      expect(fastAckSeq(bytes(text))).toBe(-1);
    }
    expect(readAck({ data: bytes('{"seq":5,"stream":"S"}'), headers: undefined })).toBe(5);
  });

  it('turns refusals into errors with codes', () => {
    const tooBig = readAck({
      data: bytes('{"error":{"code":400,"err_code":10054,"description":"message size exceeds maximum allowed"}}'),
      headers: undefined,
    });
    expect(tooBig).toBeInstanceOf(EvqError);
    expect((tooBig as EvqError).code).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    const garbage = readAck({ data: bytes('not json'), headers: undefined });
    expect((garbage as EvqError).code).toBe('EVQ_ERR_INTERNAL');
  });
});
