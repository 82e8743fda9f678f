// Throughput of the Scheduler on a fake clock: 1,000,000 items scheduled at random due times and fired
// (drained by advancing the clock), then the same with half of them cancelled in random order first. The
// baseline, for context, sorts 1,000,000 random numbers with Array.prototype.sort.
// Run: npx tsc -p tsconfig.build.json && node bench/scheduler.js [items]
import { ManualClock, Scheduler } from '../dist/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const SPAN_MS = 1_000_000; // due times spread over this many ms: about one item per ms, with ties

/** A small deterministic PRNG, so that every run measures the same work. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dues = new Float64Array(N);
{
  const rnd = prng(42);
  for (let i = 0; i < N; i++) dues[i] = Math.floor(rnd() * SPAN_MS);
}

function runScheduleAndFire(n, cancelFraction) {
  const clock = new ManualClock();
  let fired = 0;
  let lastDue = -1;
  let lastSeq = -1;
  let disorder = 0;
  const scheduler = new Scheduler({
    clock,
    maxItems: Math.max(n, 1),
    onDue: (item, dueAt) => {
      if (dueAt < lastDue || (dueAt === lastDue && item < lastSeq)) disorder++;
      lastDue = dueAt;
      lastSeq = item;
      fired++;
    },
  });
  const t0 = performance.now();
  const ids = cancelFraction > 0 ? new Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const id = scheduler.schedule(dues[i], i);
    if (ids !== undefined) ids[i] = id;
  }
  const t1 = performance.now();
  let cancelled = 0;
  if (ids !== undefined) {
    const rnd = prng(7);
    const toCancel = Math.floor(n * cancelFraction);
    for (let k = 0; k < toCancel; k++) {
      const j = Math.floor(rnd() * n);
      if (scheduler.cancel(ids[j])) cancelled++;
    }
  }
  const t2 = performance.now();
  clock.advance(SPAN_MS);
  const t3 = performance.now();
  if (fired + cancelled !== n || disorder !== 0 || scheduler.size !== 0) {
    throw new Error(`scheduler: fired ${fired} + cancelled ${cancelled} of ${n}, ${disorder} out of order`);
  }
  return { scheduleMs: t1 - t0, cancelMs: t2 - t1, fireMs: t3 - t2, totalMs: t3 - t0, fired, cancelled };
}

function runSortBaseline(n) {
  const values = Array.from(dues.subarray(0, n));
  const t0 = performance.now();
  values.sort((a, b) => a - b);
  const ms = performance.now() - t0;
  for (let i = 1; i < n; i++) if ((values[i - 1] ?? 0) > (values[i] ?? 0)) throw new Error('sort failed');
  return { ms };
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const rate = (n, ms) => (n / ms) * 1000;

// warm-up
runScheduleAndFire(100_000, 0);
runScheduleAndFire(100_000, 0.5);
runSortBaseline(100_000);

const plain = runScheduleAndFire(N, 0);
const withCancels = runScheduleAndFire(N, 0.5);
const sort = runSortBaseline(N);

const plainRate = rate(N, plain.totalMs);
const cancelOpsRate = rate(withCancels.cancelled, withCancels.cancelMs);
const sortRate = rate(N, sort.ms);
console.log(`scheduler: ${fmt(N)} items over ${fmt(SPAN_MS)} ms of fake time`);
console.log(
  `  schedule + fire:      ${fmt(plainRate)} items/s  (schedule ${plain.scheduleMs.toFixed(0)} ms, fire ${plain.fireMs.toFixed(0)} ms)`,
);
console.log(
  `  with random cancels:  ${fmt(withCancels.cancelled)} cancelled at ${fmt(cancelOpsRate)} cancels/s (${withCancels.cancelMs.toFixed(0)} ms), ` +
    `${fmt(withCancels.fired)} fired; total ${withCancels.totalMs.toFixed(0)} ms`,
);
console.log(`  baseline, Array.prototype.sort of ${fmt(N)} numbers: ${fmt(sortRate)} items/s (${sort.ms.toFixed(0)} ms)`);
console.log(`  ratio to baseline (schedule + fire vs sort): ${(plainRate / sortRate).toFixed(3)}`);
console.log(
  `RESULT ${JSON.stringify({
    bench: 'scheduler',
    items: N,
    scheduleAndFireItemsPerSec: Math.round(plainRate),
    scheduleMs: Number(plain.scheduleMs.toFixed(1)),
    fireMs: Number(plain.fireMs.toFixed(1)),
    cancelled: withCancels.cancelled,
    cancelsPerSec: Math.round(cancelOpsRate),
    withCancelsTotalMs: Number(withCancels.totalMs.toFixed(1)),
    sortBaselineItemsPerSec: Math.round(sortRate),
    ratio: Number((plainRate / sortRate).toFixed(4)),
  })}`,
);
