/** Checks shared by the request/response codec tests: golden request fixtures, round trips, hostile bytes. */
import { expect } from 'vitest';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import { frame, readRequestHeader, writeRequestHeader } from '../../../../src/protocol/kafka/header.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';
import { fixtureBytes, fixtureJson, frameBody } from './fixture.js';

type Read<T> = (r: KafkaReader, version: number) => T;
type Write<T> = (w: KafkaWriter, version: number, value: T) => void;

/**
 * Decodes a kafkajs request fixture with evq's reader (header and body must be what its `.json` states, and
 * every byte read), re-encodes it with evq's writer and expects kafkajs's bytes. Returns the body read.
 */
export function checkRequestFixture<T>(name: string, version: number, read: Read<T>, write: Write<T>, what: string): T {
  const bytes = frameBody(fixtureBytes(name));
  const stated = fixtureJson<{ header: Record<string, unknown>; body: unknown }>(name);
  const r = new KafkaReader(bytes);
  const header = readRequestHeader(r);
  expect(header).toMatchObject(stated.header);
  const body = read(r, version);
  r.expectEnd(what);
  expect(body).toEqual(stated.body);
  const ours = frame((w) => {
    writeRequestHeader(w, header);
    write(w, version, body);
  });
  expect(frameBody(ours)).toEqual(bytes);
  return body;
}

/** Writes `value` at `version`, reads it back whole, and returns the bytes (for a kafkajs decoder). */
export function roundTrip<T>(version: number, value: T, write: Write<T>, read: Read<T>, expected: T = value): Buffer {
  const w = new KafkaWriter();
  write(w, version, value);
  const bytes = Buffer.from(w.finish());
  const r = new KafkaReader(bytes);
  expect(read(r, version)).toEqual(expected);
  r.expectEnd('round trip');
  return bytes;
}

/** The KafkaCodecError that `f` throws (failing the test if it throws anything else or nothing). */
export function codecError(f: () => unknown): KafkaCodecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaCodecError);
    return e as KafkaCodecError;
  }
  throw new Error('expected a KafkaCodecError, nothing was thrown');
}

/** Expects `read` of `bytes` to fail as INVALID_REQUEST with a message matching `message`. */
export function expectInvalid(read: (r: KafkaReader) => unknown, bytes: Buffer, message: RegExp): void {
  const e = codecError(() => read(new KafkaReader(bytes)));
  expect(e.kafkaError).toBe('INVALID_REQUEST');
  expect(e.message).toMatch(message);
}

/** Every strict prefix of a request body either reads as something shorter or is INVALID_REQUEST: never another exception. */
export function expectTruncationsInvalid(read: (r: KafkaReader) => unknown, body: Buffer): void {
  for (let cut = 0; cut < body.length; cut++) {
    const r = new KafkaReader(body.subarray(0, cut));
    try {
      read(r);
      r.expectEnd('truncated body');
    } catch (e) {
      expect(e).toBeInstanceOf(KafkaCodecError);
      expect((e as KafkaCodecError).kafkaError).toBe('INVALID_REQUEST');
      continue;
    }
    throw new Error(`a body cut at ${cut} of ${body.length} bytes read whole`);
  }
}

/** The body of a fixture frame after its request header. */
export function fixtureRequestBody(name: string): Buffer {
  const bytes = frameBody(fixtureBytes(name));
  const r = new KafkaReader(bytes);
  readRequestHeader(r);
  return bytes.subarray(r.offset);
}

/** Bytes built with evq's writer (for hand-made hostile bodies). */
export function bytesOf(write: (w: KafkaWriter) => void): Buffer {
  const w = new KafkaWriter();
  write(w);
  return Buffer.from(w.finish());
}
