#!/usr/bin/env node
// @ts-check
/**
 * Writes test/fixtures/data-dir-v1/: a data directory in today's on-disk format (format version 1), written
 * by today's broker (dist/), small enough to check in. test/integration/storage/data-dir-v1.test.ts opens a
 * copy of it and checks every record, offset, group offset and delayed message, so a later change of the
 * layout that can no longer open it fails that test.
 *
 *   npm run build && node scripts/make-fixture-data-dir.js [outDir]
 *
 * The broker's clock is fixed (the group's commit time, the delayed message's produce and due times); the
 * log stamps records with the wall clock and the delayed message's journal id has a random part, so the bytes
 * differ between runs (the test states the checked-in values). It refuses to write into a directory
 * that exists: the checked-in fixture keeps the bytes an older evq wrote; a new on-disk format gets a new
 * fixture (`data-dir-v2/`) beside it.
 *
 * What it writes (the test states the same, by hand):
 * - topic `orders` (1 KiB segments, so it has several): 12 records produced as NDJSON batches and single
 *   POSTs, with keys, headers, a non-UTF-8 value (base64) and an empty value;
 * - topic `audit`: 2 records;
 * - group `billing` committed at offset 5 on `orders`;
 * - one delayed message to `audit`, due one hour after the fixed clock, still pending.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../dist/broker/server.js';
import { systemClock } from '../dist/core/clock.js';

/** The fixed time of the broker's clock while it writes the fixture: 2026-01-01T00:00:00Z. */
export const FIXTURE_NOW = Date.UTC(2026, 0, 1);

const out = process.argv[2] ?? fileURLToPath(new URL('../test/fixtures/data-dir-v1/', import.meta.url));

/** @param {Response} res @param {string} what */
async function ok(res, what) {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

async function main() {
  if (existsSync(out)) {
    process.stderr.write(`${out} exists: a fixture is never rewritten (it pins the bytes an older evq wrote); give another directory\n`);
    process.exitCode = 1;
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'evq-fixture-'));
  /** @type {import('../dist/core/clock.js').Clock} */
  const clock = {
    now: () => FIXTURE_NOW,
    setTimer: (ms, fn) => systemClock.setTimer(ms, fn),
    clearTimer: (h) => systemClock.clearTimer(h),
  };
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, segmentBytes: 1024, fsync: 'always', clock });
  try {
    const url = broker.url;
    /** @param {string} topic @param {object[]} lines */
    const batch = (topic, lines) =>
      fetch(`${url}/topics/${topic}/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: lines.map((line) => JSON.stringify(line)).join('\n'),
      }).then((res) => ok(res, `batch to ${topic}`));
    /** @param {string} topic @param {string} body @param {Record<string, string>} headers */
    const post = (topic, body, headers = {}) =>
      fetch(`${url}/topics/${topic}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', ...headers },
        body,
      }).then((res) => ok(res, `message to ${topic}`));

    await batch('orders', [
      { value: 'order 0', key: 'alice' },
      { value: 'order 1', key: 'bob', headers: { type: 'deposit', region: 'eu' } },
      { value: { amount: 42, currency: 'EUR' } },
      { valueBase64: Buffer.from([0x00, 0xff, 0xfe, 0x80]).toString('base64'), key: 'binary' },
    ]);
    await post('orders', 'order 4', { 'evq-key': 'carol', 'evq-header-type': 'withdrawal' });
    await batch('orders', [
      { value: '' },
      { value: 'ünïcödé ✓', headers: {} },
      { value: 'x'.repeat(300), key: 'long' },
      { value: 'y'.repeat(300), key: 'long' },
      { value: 'z'.repeat(300), key: 'long' },
    ]);
    await post('orders', 'order 10');
    await post('orders', 'order 11', { 'evq-key': 'dave' });
    await batch('audit', [{ value: 'audit 0', key: 'k' }, { value: 'audit 1' }]);
    await fetch(`${url}/topics/orders/groups/billing/commit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offset: 5 }),
    }).then((res) => ok(res, 'commit'));
    await post('audit', 'delayed audit', { 'evq-key': 'later', 'evq-header-kind': 'reminder', 'evq-delay': '1h' });
  } finally {
    await broker.close();
  }
  await cp(dir, out, { recursive: true, filter: (src) => !src.endsWith('.lock') });
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`wrote ${out}\n`);
}

await main();
