// Throughput of the Batcher: items per second through a batcher with a no-op async flush (batches of 1,000,
// linger 5 ms, the default window), with per-item result promises (add) and without (offer), against a
// baseline that pushes into a plain array and flushes every 1,000 items synchronously.
// Run: npx tsc -p tsconfig.build.json && node bench/batcher.js [items]
import { Batcher, LIMITS } from '../dist/index.js';

const N = Number(process.argv[2] ?? 5_000_000);
const BATCH = 1000;
const LINGER_MS = 5;

/** The no-op async flush: each item's result is the item itself (as an offset would be). */
const flush = async (items) => items;

async function runAdd(n) {
  const batcher = new Batcher({ flush, maxCount: BATCH, lingerMs: LINGER_MS });
  let acked = 0;
  let outOfOrder = 0;
  const onResult = (r) => {
    if (r !== acked) outOfOrder++;
    acked++;
  };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (!batcher.canAccept) await batcher.ready;
    void batcher.add(i).then(onResult);
  }
  await batcher.close();
  await new Promise((resolve) => setImmediate(resolve)); // the last .then(onResult) reactions
  const ms = performance.now() - t0;
  if (acked !== n || outOfOrder !== 0) throw new Error(`add: ${acked}/${n} acknowledged, ${outOfOrder} out of order`);
  return { ms, stats: batcher.stats() };
}

async function runOffer(n) {
  const batcher = new Batcher({ flush, maxCount: BATCH, lingerMs: LINGER_MS });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    while (!batcher.offer(i)) await batcher.ready;
  }
  await batcher.close();
  const ms = performance.now() - t0;
  const stats = batcher.stats();
  if (stats.items !== n) throw new Error(`offer: ${stats.items}/${n} sent`);
  return { ms, stats };
}

let sink = 0;
function syncFlush(items) {
  sink += items.length;
}

function runBaseline(n) {
  const t0 = performance.now();
  let batch = [];
  for (let i = 0; i < n; i++) {
    batch.push(i);
    if (batch.length === BATCH) {
      syncFlush(batch);
      batch = [];
    }
  }
  if (batch.length > 0) syncFlush(batch);
  return { ms: performance.now() - t0 };
}

const rate = (n, ms) => (n / ms) * 1000;
const fmt = (x) => Math.round(x).toLocaleString('en-US');

// warm-up, so that every path is optimised before it is measured
await runAdd(200_000);
await runOffer(200_000);
runBaseline(200_000);

const base = runBaseline(N);
const offer = await runOffer(N);
const add = await runAdd(N);
if (sink <= 0) throw new Error('baseline did nothing');

const baseRate = rate(N, base.ms);
const offerRate = rate(N, offer.ms);
const addRate = rate(N, add.ms);
console.log(
  `batcher: ${fmt(N)} items, batches of ${BATCH}, linger ${LINGER_MS} ms, window ${LIMITS.defaultMaxInFlight}, no-op async flush`,
);
console.log(`  add()   (a result promise per item): ${fmt(addRate)} items/s  (${add.ms.toFixed(0)} ms, ${add.stats.batches} batches)`);
console.log(
  `  offer() (no per-item promise):       ${fmt(offerRate)} items/s  (${offer.ms.toFixed(0)} ms, ${offer.stats.batches} batches)`,
);
console.log(`  baseline (array push, sync flush):   ${fmt(baseRate)} items/s  (${base.ms.toFixed(0)} ms)`);
console.log(`  ratio to baseline: add ${(addRate / baseRate).toFixed(3)}, offer ${(offerRate / baseRate).toFixed(3)}`);
console.log(
  `RESULT ${JSON.stringify({
    bench: 'batcher',
    items: N,
    batchCount: BATCH,
    lingerMs: LINGER_MS,
    addItemsPerSec: Math.round(addRate),
    offerItemsPerSec: Math.round(offerRate),
    baselineItemsPerSec: Math.round(baseRate),
    addRatio: Number((addRate / baseRate).toFixed(4)),
    offerRatio: Number((offerRate / baseRate).toFixed(4)),
  })}`,
);
