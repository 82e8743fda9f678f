/** Reading the golden Kafka fixtures of test/fixtures/kafka/ (see its README). */
import { readFileSync } from 'node:fs';

const DIR = new URL('../../../fixtures/kafka/', import.meta.url);

/** A fixture's bytes: a whole frame, size prefix included (or a bare record batch). */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(new URL(`${name}.bin`, DIR));
}

/** What the fixture's `.json` says a decoder must find. */
export function fixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as T;
}

/** The frame without its size prefix, after checking the prefix matches the bytes. */
export function frameBody(frame: Buffer): Buffer {
  if (frame.readInt32BE(0) !== frame.length - 4)
    throw new Error(`fixture frame size ${frame.readInt32BE(0)} for ${frame.length - 4} bytes`);
  return frame.subarray(4);
}
