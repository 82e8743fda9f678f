import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readApiVersionsRequest } from '../../../../src/protocol/kafka/api-versions.js';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import { readRequestHeader } from '../../../../src/protocol/kafka/header.js';
import { readMetadataRequest } from '../../../../src/protocol/kafka/metadata.js';
import { readProduceRequest } from '../../../../src/protocol/kafka/produce.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { decodeRecordBatch, splitBatches } from '../../../../src/protocol/kafka/record-batch.js';
import { fixtureBytes, frameBody } from './fixture.js';

const LIMITS = { maxRecords: 1000, maxUncompressedBytes: 1 << 20 };

/** Parses a request frame the way the listener will: header, body by API, then every batch. */
function parse(frame: Buffer): void {
  const r = new KafkaReader(frame);
  const header = readRequestHeader(r);
  if (header.apiKey === 18) readApiVersionsRequest(r, header.apiVersion);
  else if (header.apiKey === 3) readMetadataRequest(r, header.apiVersion);
  else if (header.apiKey === 0) {
    for (const t of readProduceRequest(r, header.apiVersion).topics) {
      for (const p of t.partitions) {
        if (p.records === null) continue;
        for (const [start, end] of splitBatches(p.records)) decodeRecordBatch(p.records, LIMITS, start, end);
      }
    }
  }
}

const frames = [
  'kcat-1-ApiVersions-v3',
  'kafkajs-2-Metadata-v6',
  'kafkajs-produce-v3-none',
  'kafkajs-produce-v3-gzip',
  'kcat-produce-none-v7',
].map((n) => frameBody(fixtureBytes(n)));

function onlyCodecErrors(frame: Buffer): void {
  try {
    parse(frame);
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaCodecError);
  }
}

describe('hostile requests', () => {
  it('the real frames parse whole', () => {
    for (const f of frames) parse(f);
  });

  it('every truncation of a real frame is a KafkaCodecError, never another exception', () => {
    for (const f of frames) for (let cut = 0; cut < f.length; cut++) onlyCodecErrors(f.subarray(0, cut));
  });

  it('real frames with bytes flipped, and random bytes, only ever throw KafkaCodecError', () => {
    fc.assert(
      fc.property(fc.nat(frames.length - 1), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, xor) => {
        const f = Buffer.from(frames[which] as Buffer);
        const i = at % f.length;
        f[i] = (f[i] as number) ^ xor;
        onlyCodecErrors(f);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(0, 3, 18),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 200 }),
        (apiKey, apiVersion, body) => {
          const f = Buffer.concat([Buffer.from([0, apiKey, 0, apiVersion, 0, 0, 0, 1, 0xff, 0xff]), Buffer.from(body)]);
          onlyCodecErrors(f);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
