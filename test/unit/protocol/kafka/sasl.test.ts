import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readSaslAuthenticateRequest,
  readSaslAuthenticateResponse,
  readSaslHandshakeRequest,
  readSaslHandshakeResponse,
  writeSaslAuthenticateRequest,
  writeSaslAuthenticateResponse,
  writeSaslHandshakeRequest,
  writeSaslHandshakeResponse,
  type SaslAuthenticateResponse,
} from '../../../../src/protocol/kafka/sasl.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';
import { fixtureJson } from './fixture.js';

const require = createRequire(import.meta.url);

describe('SaslHandshake v0–v1', () => {
  it.each([
    [0, 'PLAIN'],
    [1, 'SCRAM-SHA-256'],
  ])('decodes kafkajs-sasl-handshake-v%i and writes the same bytes', (version, mechanism) => {
    const request = checkRequestFixture(
      `kafkajs-sasl-handshake-v${version}`,
      version,
      readSaslHandshakeRequest,
      writeSaslHandshakeRequest,
      'SaslHandshake',
    );
    expect(request.mechanism).toBe(mechanism);
  });

  it.each([0, 1])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const response = { errorCode: 33, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] };
    const body = roundTrip(version, response, writeSaslHandshakeResponse, readSaslHandshakeResponse);
    const decoder = require(`kafkajs/src/protocol/requests/saslHandshake/v${version}/response`) as {
      decode(b: Buffer): Promise<{ errorCode: number; enabledMechanisms: string[] }>;
    };
    expect(await decoder.decode(body)).toEqual({ errorCode: 33, enabledMechanisms: response.mechanisms });
  });

  it('hostile requests are INVALID_REQUEST: a null or overlong mechanism, truncations', () => {
    expectInvalid(
      (r) => readSaslHandshakeRequest(r, 1),
      bytesOf((w) => w.int16(-1)),
      /STRING of length -1/,
    );
    expectInvalid(
      (r) => readSaslHandshakeRequest(r, 1),
      bytesOf((w) => w.int16(100).raw(Buffer.from('PLAIN'))),
      /STRING needs 100 bytes, 5 left/,
    );
    expectTruncationsInvalid((r) => readSaslHandshakeRequest(r, 1), fixtureRequestBody('kafkajs-sasl-handshake-v1'));
  });
});

describe('SaslAuthenticate v0–v1', () => {
  it.each([0, 1])('decodes kafkajs-sasl-authenticate-v%i (its PLAIN token) and writes the same bytes', (version) => {
    const name = `kafkajs-sasl-authenticate-v${version}`;
    const stated = fixtureJson<{ body: { authBytesHex: string } }>(name).body;
    const read = (r: Parameters<typeof readSaslAuthenticateRequest>[0], v: number) => {
      const { authBytes } = readSaslAuthenticateRequest(r, v);
      return { authBytesHex: authBytes.toString('hex') };
    };
    const request = checkRequestFixture(
      name,
      version,
      read,
      (w, v, b: { authBytesHex: string }) => writeSaslAuthenticateRequest(w, v, { authBytes: Buffer.from(b.authBytesHex, 'hex') }),
      'SaslAuthenticate',
    );
    expect(request).toEqual(stated);
    expect(Buffer.from(request.authBytesHex, 'hex').toString('utf8').split('\u0000')).toEqual(['', 'alice', 's3cret']);
  });

  it.each([0, 1])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const response: SaslAuthenticateResponse = {
      errorCode: 0,
      errorMessage: null,
      authBytes: Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='),
      sessionLifetimeMs: 3_600_000,
    };
    const body = roundTrip(version, response, writeSaslAuthenticateResponse, readSaslAuthenticateResponse, {
      ...response,
      sessionLifetimeMs: version >= 1 ? 3_600_000 : 0,
    });
    const decoder = require(`kafkajs/src/protocol/requests/saslAuthenticate/v${version}/response`) as {
      decode(b: Buffer): Promise<{ errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs?: string }>;
    };
    const theirs = await decoder.decode(body);
    expect([theirs.errorCode, theirs.errorMessage]).toEqual([0, null]);
    // kafkajs hands the mechanism the token re-framed as BYTES (INT32 length first)
    expect(theirs.authBytes).toEqual(bytesOf((w) => w.bytes(response.authBytes)));
    expect(theirs.sessionLifetimeMs).toBe(version >= 1 ? '3600000' : undefined);
  });

  it('an authentication failure with its message round-trips', () => {
    const failure = {
      errorCode: 58,
      errorMessage: 'Authentication failed: Invalid username or password',
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0,
    };
    roundTrip(1, failure, writeSaslAuthenticateResponse, readSaslAuthenticateResponse);
  });

  it('hostile requests are INVALID_REQUEST: a token longer than the bytes, a null token, truncations', () => {
    expectInvalid(
      (r) => readSaslAuthenticateRequest(r, 0),
      bytesOf((w) => w.int32(0x7fffffff).raw(Buffer.from('x'))),
      /BYTES needs 2147483647 bytes, 1 left/,
    );
    expectInvalid(
      (r) => readSaslAuthenticateRequest(r, 0),
      bytesOf((w) => w.int32(-1)),
      /BYTES of length -1/,
    );
    expectTruncationsInvalid((r) => readSaslAuthenticateRequest(r, 1), fixtureRequestBody('kafkajs-sasl-authenticate-v1'));
  });
});
