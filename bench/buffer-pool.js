// Encoding 1,000,000 messages (100-byte values, each framed as u32 length + bytes) into batches of 1,000,
// three ways: the BufferPool + BufferWriter, a Buffer.allocUnsafe per batch (sized by a first pass), and a
// naive Buffer.concat of one small buffer per message. A window of 16 batches stays "in flight" (referenced)
// before each is released, as a producer's window would. Reports msgs/s and GC time (PerformanceObserver,
// entryType 'gc') for each, and the ratios. Re-spawns itself with --expose-gc when needed.
// Run: npx tsc -p tsconfig.build.json && node bench/buffer-pool.js [messages]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';

if (typeof globalThis.gc !== 'function') {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  process.exit(child.status ?? 1);
}

const { BufferPool, BufferWriter } = await import('../dist/core/buffer-pool.js');

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;
const VALUE_BYTES = 100;
const IN_FLIGHT = 16;
const ROUNDS = 5; // each method runs this many times, interleaved; the median round is reported

const values = Array.from({ length: 256 }, (_, i) => Buffer.alloc(VALUE_BYTES, i));

let gcMs = 0;
let gcCount = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration;
    gcCount++;
  }
});
observer.observe({ entryTypes: ['gc'] });

/** Lets pending GC entries be delivered, then forgets them. */
async function quiesce() {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gcMs = 0;
  gcCount = 0;
}

let checksum = 0;
/** Stands for the socket write: reads the batch so that nothing is optimised away. */
function send(buf) {
  checksum = (checksum + buf.length + buf[buf.length - 1]) | 0;
}

function encodePooled(pool) {
  const inFlight = [];
  for (let start = 0; start < N; start += BATCH) {
    const w = new BufferWriter(pool, 128 * 1024);
    const end = Math.min(N, start + BATCH);
    w.u32(end - start);
    for (let i = start; i < end; i++) {
      const value = values[i & 255];
      w.u32(value.length).bytes(value);
    }
    send(w.view());
    inFlight.push(w);
    if (inFlight.length > IN_FLIGHT) inFlight.shift().release();
  }
  for (const w of inFlight) w.release();
}

function encodeAllocUnsafe() {
  const inFlight = [];
  for (let start = 0; start < N; start += BATCH) {
    const end = Math.min(N, start + BATCH);
    let size = 4;
    for (let i = start; i < end; i++) size += 4 + values[i & 255].length;
    const buf = Buffer.allocUnsafe(size);
    let o = buf.writeUInt32BE(end - start, 0);
    for (let i = start; i < end; i++) {
      const value = values[i & 255];
      o = buf.writeUInt32BE(value.length, o);
      o += value.copy(buf, o);
    }
    send(buf);
    inFlight.push(buf);
    if (inFlight.length > IN_FLIGHT) inFlight.shift();
  }
}

function encodeConcat() {
  const inFlight = [];
  for (let start = 0; start < N; start += BATCH) {
    const end = Math.min(N, start + BATCH);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(end - start, 0);
    const parts = [head];
    for (let i = start; i < end; i++) {
      const value = values[i & 255];
      const part = Buffer.allocUnsafe(4 + value.length);
      part.writeUInt32BE(value.length, 0);
      value.copy(part, 4);
      parts.push(part);
    }
    const buf = Buffer.concat(parts);
    send(buf);
    inFlight.push(buf);
    if (inFlight.length > IN_FLIGHT) inFlight.shift();
  }
}

async function measure(fn) {
  await quiesce();
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 50)); // deliver this run's GC entries
  return { ms, gcMs, gcCount };
}

// Sanity: all three encodings produce the same bytes for a batch.
{
  const pool = new BufferPool();
  const w = new BufferWriter(pool);
  w.u32(3);
  for (let i = 0; i < 3; i++) w.u32(values[i].length).bytes(values[i]);
  const viaConcat = Buffer.concat([
    Buffer.from([0, 0, 0, 3]),
    ...values.slice(0, 3).map((v) => Buffer.concat([Buffer.from([0, 0, 0, v.length]), v])),
  ]);
  if (!w.view().equals(viaConcat)) throw new Error('encodings differ');
  w.release();
}

const pool = new BufferPool();
const methods = { pooled: () => encodePooled(pool), allocUnsafe: encodeAllocUnsafe, concat: encodeConcat };
const runs = { pooled: [], allocUnsafe: [], concat: [] };
for (const fn of Object.values(methods)) fn(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(methods)) runs[name].push(await measure(fn));
}
/** The median run by time (its GC figures with it). */
const median = (list) => [...list].sort((a, b) => a.ms - b.ms)[list.length >> 1];
const best = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, median(list)]));
observer.disconnect();

const rate = (ms) => (N / ms) * 1000;
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const stats = pool.stats();
console.log(
  `buffer-pool: ${fmt(N)} messages of ${VALUE_BYTES} bytes (u32 length + bytes), batches of ${BATCH}, ${IN_FLIGHT} in flight; median of ${ROUNDS} runs`,
);
for (const [name, r] of Object.entries(best)) {
  console.log(
    `  ${name.padEnd(12)} ${fmt(rate(r.ms)).padStart(12)} msgs/s  ${r.ms.toFixed(1).padStart(7)} ms   GC ${r.gcMs.toFixed(1)} ms in ${r.gcCount} pauses`,
  );
}
console.log(`  pool: ${stats.hits} hits, ${stats.misses} misses, ${stats.dropped} dropped, ${fmt(stats.bytesHeld)} bytes held`);
const speed = rate(best.pooled.ms) / rate(best.allocUnsafe.ms);
const gcRatio = best.allocUnsafe.gcMs > 0 ? best.pooled.gcMs / best.allocUnsafe.gcMs : null;
const verdict = speed >= 1 ? 'pooling wins on throughput' : 'pooling LOSES on throughput to Buffer.allocUnsafe';
console.log(
  `  ratio pooled / allocUnsafe: throughput ${speed.toFixed(3)}, GC time ${gcRatio === null ? 'n/a' : gcRatio.toFixed(3)} — ${verdict}`,
);
console.log(
  `RESULT ${JSON.stringify({
    bench: 'buffer-pool',
    messages: N,
    pooledMsgsPerSec: Math.round(rate(best.pooled.ms)),
    allocUnsafeMsgsPerSec: Math.round(rate(best.allocUnsafe.ms)),
    concatMsgsPerSec: Math.round(rate(best.concat.ms)),
    pooledGcMs: Number(best.pooled.gcMs.toFixed(2)),
    allocUnsafeGcMs: Number(best.allocUnsafe.gcMs.toFixed(2)),
    concatGcMs: Number(best.concat.gcMs.toFixed(2)),
    throughputRatio: Number(speed.toFixed(4)),
    gcRatio: gcRatio === null ? null : Number(gcRatio.toFixed(4)),
    verdict,
    checksum,
  })}`,
);
