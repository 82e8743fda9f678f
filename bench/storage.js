#!/usr/bin/env node
// Storage benchmark: appends 100-byte messages in batches of 1,000 to a TopicLog in a temporary directory
// with each fsync mode (4 concurrent appenders, so `always` shows group commit), compares `always` with
// `never` (target >= 0.5) and with a baseline of raw fs writes of the same bytes with one fsync per batch,
// then reads the log back from offset 0. Each mode runs twice, interleaved, and the best run counts (the
// machine may be shared). Needs a build first (`npx tsc -p tsconfig.build.json`; `npm run bench` does it).
// Prints human lines and a final `RESULT {json}` line. Takes about 20 s.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { nodeFileIO } from '../dist/broker/storage/file-io.js';
import { TopicLog } from '../dist/broker/storage/topic-log.js';
import { encodeBatch } from '../dist/protocol/batch-encode.js';

const MESSAGE_BYTES = 100;
const BATCH = 1000;
const APPENDERS = 4;
const SECONDS_PER_MODE = Number(process.env.EVQ_BENCH_SECONDS ?? 1.5);
const ROUNDS = 2;
const MAX_MESSAGES_PER_MODE = 4_000_000;

const batch = Array.from({ length: BATCH }, (_, i) => ({ value: Buffer.alloc(MESSAGE_BYTES, 97 + (i % 26)) }));
const root = await mkdtemp(join(tmpdir(), 'evq-bench-storage-'));

function rate(n, ms) {
  return Math.round((n * 1000) / ms);
}
function fmt(n) {
  return n.toLocaleString('en-US');
}

/** Appends for SECONDS_PER_MODE with APPENDERS concurrent appenders; returns messages/s and fsyncs. */
async function appendRun(mode, round) {
  const dir = join(root, `${mode}-${round}`);
  const log = await TopicLog.open(nodeFileIO, dir, 'bench', { fsync: mode });
  const deadline = performance.now() + SECONDS_PER_MODE * 1000;
  let messages = 0;
  const start = performance.now();
  const appender = async () => {
    while (performance.now() < deadline && messages < MAX_MESSAGES_PER_MODE) {
      await log.append(batch);
      messages += BATCH;
    }
  };
  await Promise.all(Array.from({ length: APPENDERS }, appender));
  const ms = performance.now() - start;
  const syncs = log.syncCount;
  await log.close();
  return { log: dir, messages, ms, perSecond: rate(messages, ms), fsyncs: syncs, batches: messages / BATCH };
}

/** Raw fs writes of the same encoded bytes, one fsync per batch, one writer. */
async function baselineRun() {
  const bytes = encodeBatch(
    0,
    batch.map((m) => ({ ...m, timestamp: Date.now() })),
  );
  const path = join(root, 'baseline.bin');
  const handle = await open(path, 'w');
  const deadline = performance.now() + SECONDS_PER_MODE * 1000;
  let messages = 0;
  let position = 0;
  const start = performance.now();
  while (performance.now() < deadline && messages < MAX_MESSAGES_PER_MODE) {
    await handle.write(bytes, 0, bytes.length, position);
    position += bytes.length;
    await handle.sync();
    messages += BATCH;
  }
  const ms = performance.now() - start;
  await handle.close();
  await rm(path, { force: true });
  return { messages, ms, perSecond: rate(messages, ms) };
}

/** Reads the whole log written by a run from offset 0. */
async function readRun(dir) {
  const log = await TopicLog.open(nodeFileIO, dir, 'bench', { fsync: 'never' });
  const end = log.endOffset;
  let offset = 0;
  let records = 0;
  const start = performance.now();
  while (offset < end) {
    const got = await log.read(offset, { maxRecords: 10_000, maxBytes: 4 * 1024 * 1024 });
    records += got.length;
    offset = got[got.length - 1].offset + 1;
  }
  const recordsMs = performance.now() - start;
  offset = 0;
  let bytes = 0;
  const batchStart = performance.now();
  while (offset < end) {
    const got = await log.readBatches(offset, 4 * 1024 * 1024);
    for (const b of got.batches) bytes += b.length;
    offset = got.nextOffset;
  }
  const batchesMs = performance.now() - batchStart;
  await log.close();
  return {
    records,
    recordsPerSecond: rate(records, recordsMs),
    batchBytesPerSecond: Math.round((bytes * 1000) / batchesMs),
    batchMessagesPerSecond: rate(end, batchesMs),
  };
}

try {
  console.log(
    `storage: ${MESSAGE_BYTES}-byte messages, batches of ${BATCH}, ${APPENDERS} appenders, best of ${ROUNDS} interleaved runs of ${SECONDS_PER_MODE} s per mode, in ${root}`,
  );
  const results = {};
  let baseline = null;
  let readDir = null;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of ['always', 'never', 'interval']) {
      const r = await appendRun(mode, round);
      if (mode === 'never' && round === ROUNDS) readDir = r.log;
      else await rm(r.log, { recursive: true, force: true });
      if (results[mode] === undefined || r.perSecond > results[mode].perSecond) results[mode] = r;
    }
    const b = await baselineRun();
    if (baseline === null || b.perSecond > baseline.perSecond) baseline = b;
  }
  for (const mode of ['always', 'never', 'interval']) {
    const r = results[mode];
    const extra =
      mode === 'always'
        ? ` (${fmt(r.fsyncs)} fsyncs for ${fmt(r.batches)} batches: ${(r.batches / Math.max(1, r.fsyncs)).toFixed(2)} batches per fsync)`
        : '';
    console.log(`append fsync=${mode.padEnd(8)} ${fmt(r.perSecond).padStart(11)} msg/s${extra}`);
  }
  console.log(`baseline raw fs.write + fsync per batch ${fmt(baseline.perSecond).padStart(11)} msg/s`);
  const ratio = results.always.perSecond / results.never.perSecond;
  const vsBaseline = results.always.perSecond / baseline.perSecond;
  console.log(`ratio always/never: ${ratio.toFixed(2)} (target >= 0.5); always/baseline: ${vsBaseline.toFixed(2)}`);
  const read = await readRun(readDir);
  console.log(
    `read from offset 0: ${fmt(read.recordsPerSecond)} records/s decoded, ${fmt(read.batchMessagesPerSecond)} msg/s as raw batches (${(read.batchBytesPerSecond / 1024 / 1024).toFixed(0)} MiB/s)`,
  );
  const result = {
    appendAlwaysPerSec: results.always.perSecond,
    appendNeverPerSec: results.never.perSecond,
    appendIntervalPerSec: results.interval.perSecond,
    alwaysBatchesPerFsync: Number((results.always.batches / Math.max(1, results.always.fsyncs)).toFixed(2)),
    baselineFsyncPerBatchPerSec: baseline.perSecond,
    ratioAlwaysNever: Number(ratio.toFixed(3)),
    ratioAlwaysBaseline: Number(vsBaseline.toFixed(3)),
    readRecordsPerSec: read.recordsPerSecond,
    readBatchMessagesPerSec: read.batchMessagesPerSecond,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
