#!/usr/bin/env node
// Time index benchmark: builds a partition of 1,000,000 small records (24-byte values, batches of 100, 4 MiB
// segments, timestamps 1 ms apart with one record in 8 stamped up to 2 s in the past) in a temporary directory,
// reopens it, and times `offsetForTime` (segments → time index → a scan of about one index interval) against
// a full scan from the start (what the placeholder before the time index did), at the same times spread over
// the log; checks both give the same offset and prints the ratio. Needs a build first
// (`npx tsc -p tsconfig.build.json`; `npm run bench -- time-index` does it). Prints human lines and a final
// `RESULT {json}` line. Takes a few seconds (EVQ_BENCH_RECORDS to change the size).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { nodeFileIO } from '../dist/broker/storage/file-io.js';
import { TopicLog } from '../dist/broker/storage/topic-log.js';

const RECORDS = Math.min(Number(process.env.EVQ_BENCH_RECORDS ?? 1_000_000), 10_000_000);
const BATCH = 100;
const SEGMENT_BYTES = 4 * 1024 * 1024;
const TIMES = 5; // points in time asked, spread over the log
const INDEX_REPEATS = 200; // the index lookups are short: each time is asked this often
const T0 = 1_800_000_000_000;
const root = await mkdtemp(join(tmpdir(), 'evq-bench-time-'));
const dir = join(root, 't');

function fmt(n) {
  return n.toLocaleString('en-US');
}

/** Record i's timestamp: T0 + i ms, except one in 8 stamped up to 2 s earlier (timestamps go backwards). */
function stamp(i) {
  return i % 8 === 7 ? T0 + Math.max(0, i - ((i * 7919) % 2000)) : T0 + i;
}

/** The first offset stamped at or after `time`, reading every record from the start. */
async function fullScan(log, time) {
  let offset = log.startOffset;
  while (offset < log.endOffset) {
    const records = await log.read(offset, { maxRecords: 10_000, maxBytes: 4 * 1024 * 1024 });
    if (records.length === 0) break;
    for (const record of records) if (record.timestamp >= time) return record.offset;
    offset = records[records.length - 1].offset + 1;
  }
  return log.endOffset;
}

try {
  const build = performance.now();
  const writer = await TopicLog.open(nodeFileIO, dir, 't', { fsync: 'never', segmentBytes: SEGMENT_BYTES });
  for (let base = 0; base < RECORDS; base += BATCH) {
    const n = Math.min(BATCH, RECORDS - base);
    await writer.append(
      Array.from({ length: n }, (_, j) => ({ value: `record ${String(base + j).padStart(17, '0')}`, timestamp: stamp(base + j) })),
    );
  }
  const sizeBytes = writer.sizeBytes;
  const segments = writer.segmentCount;
  await writer.close();
  console.log(
    `time-index: ${fmt(RECORDS)} records in ${segments} segments (${(sizeBytes / 1024 / 1024).toFixed(1)} MiB), built in ${((performance.now() - build) / 1000).toFixed(1)} s, in ${root}`,
  );

  const log = await TopicLog.open(nodeFileIO, dir, 't', { fsync: 'never', segmentBytes: SEGMENT_BYTES });
  const times = Array.from({ length: TIMES }, (_, k) => T0 + Math.floor(((k + 0.5) * RECORDS) / TIMES));
  let indexMs = 0;
  let scanMs = 0;
  for (const time of times) {
    const byIndex = await log.offsetForTime(time); // the first lookup also warms the file cache for both
    const start = performance.now();
    for (let r = 0; r < INDEX_REPEATS; r++) await log.offsetForTime(time);
    indexMs += (performance.now() - start) / INDEX_REPEATS;
    const scanStart = performance.now();
    const byScan = await fullScan(log, time);
    scanMs += performance.now() - scanStart;
    if (byIndex !== byScan) throw new Error(`offsetForTime(${time}) gave ${byIndex}, a full scan ${byScan}`);
  }
  await log.close();
  const perIndex = indexMs / TIMES;
  const perScan = scanMs / TIMES;
  const ratio = perScan / perIndex;
  console.log(
    `offsetForTime by the time index: ${(perIndex * 1000).toFixed(0)} µs per lookup (mean over ${TIMES} times, ${INDEX_REPEATS} each)`,
  );
  console.log(`by a full scan from the start:   ${perScan.toFixed(1)} ms per lookup (the same ${TIMES} times, answers equal)`);
  console.log(`ratio full scan / time index: ${fmt(Math.round(ratio))}x`);
  const result = {
    records: RECORDS,
    segments,
    sizeBytes,
    indexLookupMicros: Math.round(perIndex * 1000),
    fullScanMillis: Number(perScan.toFixed(1)),
    ratioScanIndex: Math.round(ratio),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
