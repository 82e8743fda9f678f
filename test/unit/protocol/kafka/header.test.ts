import { describe, expect, it } from 'vitest';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import {
  frame,
  frameSize,
  peekRequest,
  readRequestHeader,
  readResponseHeader,
  writeRequestHeader,
  writeResponseHeader,
} from '../../../../src/protocol/kafka/header.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { fixtureBytes, fixtureJson, frameBody } from './fixture.js';

interface HeaderFixture {
  header: { apiKey: number; apiVersion: number; correlationId: number; clientId: string; headerVersion: number };
}

describe('Kafka request and response headers', () => {
  it.each(['kcat-1-ApiVersions-v3', 'kcat-2-Metadata-v4', 'kafkajs-1-ApiVersions-v2', 'kafkajs-2-Metadata-v6'])(
    'reads the header %s sent',
    (name) => {
      const bytes = frameBody(fixtureBytes(name));
      const header = readRequestHeader(new KafkaReader(bytes));
      expect(header).toMatchObject(fixtureJson<HeaderFixture>(name).header);
      expect(peekRequest(bytes)).toEqual({ apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId });
    },
  );

  it('writes the header bytes the clients wrote', () => {
    for (const name of ['kcat-1-ApiVersions-v3', 'kafkajs-2-Metadata-v6']) {
      const bytes = frameBody(fixtureBytes(name));
      const r = new KafkaReader(bytes);
      const header = readRequestHeader(r);
      const ours = frame((w) => writeRequestHeader(w, header));
      expect(frameBody(ours)).toEqual(bytes.subarray(0, r.offset));
    }
  });

  it('response header v0 and v1', () => {
    const v0 = frame((w) => writeResponseHeader(w, 9, 0));
    expect(v0).toEqual(Buffer.from([0, 0, 0, 4, 0, 0, 0, 9]));
    const v1 = frame((w) => writeResponseHeader(w, -2, 1));
    expect(v1).toEqual(Buffer.from([0, 0, 0, 5, 0xff, 0xff, 0xff, 0xfe, 0]));
    expect(readResponseHeader(new KafkaReader(v1.subarray(4)), 1)).toEqual({ correlationId: -2, taggedFields: [] });
  });

  it('frame sizes: not yet known, in bounds, or refused before the frame is read', () => {
    expect(frameSize(Buffer.from([0, 0, 1]), 1000)).toBeUndefined();
    expect(frameSize(Buffer.from([0, 0, 1, 0]), 1000)).toBe(256);
    for (const bad of [
      [0, 0, 0, 7],
      [0xff, 0xff, 0xff, 0xff],
      [0x7f, 0xff, 0xff, 0xff],
    ]) {
      let error: unknown;
      try {
        frameSize(Buffer.from(bad), 1000);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KafkaCodecError);
      expect((error as KafkaCodecError).kafkaError).toBe('INVALID_REQUEST');
    }
    expect(peekRequest(Buffer.alloc(7))).toBeUndefined();
  });

  it('a truncated header is INVALID_REQUEST', () => {
    const bytes = frameBody(fixtureBytes('kcat-1-ApiVersions-v3'));
    for (const cut of [3, 8, 12, 16]) {
      expect(() => readRequestHeader(new KafkaReader(bytes.subarray(0, cut)))).toThrow(KafkaCodecError);
    }
  });
});
