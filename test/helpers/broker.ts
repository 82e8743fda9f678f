import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker, type BrokerOptions } from '../../src/broker/server.js';

/** A real broker on 127.0.0.1, port 0, in a temporary data directory; `close()` stops it and removes the dir. */
export interface TestBroker extends Broker {
  dataDir: string;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startTestBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'evq-test-')));
  const broker = await startBroker({ host: '127.0.0.1', port: 0, ...options, dataDir });
  let closing: Promise<void> | null = null;
  // a second close waits for the first (a test may close the broker mid-run, then afterEach again)
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await broker.close();
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    })());
  return Object.assign(Object.create(broker) as Broker, broker, {
    dataDir,
    close,
    [Symbol.asyncDispose]: close,
  }) as TestBroker;
}

/** POSTs one message; returns status and JSON body. */
export async function postMessage(
  url: string,
  topic: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/topics/${encodeURIComponent(topic)}/messages`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });
  return { status: res.status, json: await res.json() };
}

/** POSTs an NDJSON batch of string values. */
export async function postBatch(
  url: string,
  topic: string,
  values: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const body = values.map((value) => JSON.stringify({ value })).join('\n');
  const res = await fetch(`${url}/topics/${encodeURIComponent(topic)}/batch`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-ndjson', ...headers },
  });
  return { status: res.status, json: await res.json() };
}

/** Creates `topic` with `partitions` partitions over HTTP; throws unless the broker answers 201. */
export async function createTopic(url: string, topic: string, partitions = 1): Promise<void> {
  const res = await fetch(`${url}/topics/${encodeURIComponent(topic)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ partitions }),
  });
  if (res.status !== 201) throw new Error(`PUT /topics/${topic}: ${res.status} ${await res.text()}`);
}

/** Reads records as NDJSON. */
export async function readAll(
  url: string,
  topic: string,
  query = '',
): Promise<{ status: number; records: any[]; next: number | null; body: string }> {
  const res = await fetch(`${url}/topics/${encodeURIComponent(topic)}/messages${query}`);
  const body = await res.text();
  const records = res.ok
    ? body
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l))
    : [];
  const next = res.headers.get('evq-next-offset');
  return { status: res.status, records, next: next === null ? null : Number(next), body };
}

/** fetch + JSON body, typed loosely for assertions. */
export async function getJson(url: string, init?: RequestInit): Promise<any> {
  return (await fetch(url, init)).json();
}

/** The JSON body of a response, typed loosely for assertions. */
export function jsonOf(res: Response): Promise<any> {
  return res.json();
}

/** A temporary directory for a test that restarts a broker on the same data; remove it with `rm` in afterEach. */
export async function makeTempDir(prefix = 'evq-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
