import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import { readCreatePartitionsRequest } from '../../../../src/protocol/kafka/create-partitions.js';
import { readCreateTopicsRequest } from '../../../../src/protocol/kafka/create-topics.js';
import { readDeleteGroupsRequest } from '../../../../src/protocol/kafka/delete-groups.js';
import { readDeleteTopicsRequest } from '../../../../src/protocol/kafka/delete-topics.js';
import { readDescribeConfigsRequest } from '../../../../src/protocol/kafka/describe-configs.js';
import { readDescribeGroupsRequest } from '../../../../src/protocol/kafka/describe-groups.js';
import { readInitProducerIdRequest } from '../../../../src/protocol/kafka/init-producer-id.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { readSaslAuthenticateRequest, readSaslHandshakeRequest } from '../../../../src/protocol/kafka/sasl.js';
import { fixtureRequestBody } from './codec-check.js';

/** Each new request reader with a kafkajs body it reads whole. */
const cases: [string, (r: KafkaReader) => unknown][] = [
  ['kafkajs-create-topics-v3', (r) => readCreateTopicsRequest(r, 3)],
  ['kafkajs-delete-topics-v1', (r) => readDeleteTopicsRequest(r, 1)],
  ['kafkajs-create-partitions-v1', (r) => readCreatePartitionsRequest(r, 1)],
  ['kafkajs-describe-groups-v2', (r) => readDescribeGroupsRequest(r, 2)],
  ['kafkajs-delete-groups-v1', (r) => readDeleteGroupsRequest(r, 1)],
  ['kafkajs-describe-configs-v2', (r) => readDescribeConfigsRequest(r, 2)],
  ['kafkajs-init-producer-id-v1', (r) => readInitProducerIdRequest(r, 1)],
  ['kafkajs-sasl-handshake-v1', (r) => readSaslHandshakeRequest(r, 1)],
  ['kafkajs-sasl-authenticate-v1', (r) => readSaslAuthenticateRequest(r, 1)],
];
const bodies = cases.map(([name]) => fixtureRequestBody(name));

describe('hostile admin, group, producer-id and SASL requests', () => {
  it('bytes flipped in real bodies, or random bodies, only ever throw KafkaCodecError INVALID_REQUEST', () => {
    const onlyCodecErrors = (which: number, body: Buffer) => {
      try {
        const r = new KafkaReader(body);
        cases[which]?.[1](r);
        r.expectEnd('request');
      } catch (e) {
        expect(e).toBeInstanceOf(KafkaCodecError);
        expect((e as KafkaCodecError).kafkaError).toBe('INVALID_REQUEST');
      }
    };
    fc.assert(
      fc.property(fc.nat(cases.length - 1), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, xor) => {
        const body = Buffer.from(bodies[which] as Buffer);
        const i = at % body.length;
        body[i] = (body[i] as number) ^ xor;
        onlyCodecErrors(which, body);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.nat(cases.length - 1), fc.uint8Array({ maxLength: 200 }), (which, body) => onlyCodecErrors(which, Buffer.from(body))),
      { numRuns: 2000 },
    );
  });
});
