#!/usr/bin/env node
// The filter compiler against the same predicate written by hand, in one run.
//   npm run build && node bench/filter.js          (or: npm run bench -- filter)
// Pre-parsed records: the value is already parsed in the record's cache slot (what a broker with many
// subscribers sees from the second filter on). Raw-text records: the JSON is parsed on first read, shown
// for information. Each figure is the median of several alternating rounds after a warm-up; the ratio is
// the median of the per-round ratios (arrow rate / compiled rate, i.e. how many times slower the filter is).
import { compileFilter } from '../dist/index.js';
import { PARSED_VALUE, setRecordValue } from '../dist/core/filter/record-value.js';

const EXPR = 'value.amount > 100 && headers.type == "deposit"';
const RECORDS = Number(process.env.EVQ_BENCH_FILTER_RECORDS ?? 1_000_000);
const TEXT_RECORDS = Math.min(RECORDS, 200_000);
const ROUNDS = 9;
const TARGET_RATIO = 2.0;

const TYPES = ['deposit', 'withdrawal', 'transfer', 'deposit'];
const HEADERS = TYPES.map((type) => ({ type, source: 'bench' }));

function makeRecord(i, parsed) {
  const value = { amount: (i * 7919) % 250, currency: 'EUR', id: i };
  return {
    topic: 'orders',
    offset: i,
    timestamp: 1_700_000_000_000 + i,
    key: `k${i % 100}`,
    headers: HEADERS[i % HEADERS.length],
    value: JSON.stringify(value),
    [PARSED_VALUE]: parsed ? value : undefined,
  };
}

const preParsed = Array.from({ length: RECORDS }, (_, i) => makeRecord(i, true));
const rawText = Array.from({ length: TEXT_RECORDS }, (_, i) => makeRecord(i, false));

const compiled = compileFilter(EXPR);
const arrow = (r) => r[PARSED_VALUE].amount > 100 && r.headers.type === 'deposit';
const arrowText = (r) => JSON.parse(r.value).amount > 100 && r.headers.type === 'deposit';

// one loop per predicate, so that each call site sees one function only
function runCompiled(records) {
  let n = 0;
  for (let i = 0; i < records.length; i++) if (compiled(records[i])) n++;
  return n;
}
function runArrow(records) {
  let n = 0;
  for (let i = 0; i < records.length; i++) if (arrow(records[i])) n++;
  return n;
}
function runCompiledText(records) {
  let n = 0;
  for (let i = 0; i < records.length; i++) if (compiled(records[i])) n++;
  return n;
}
function runArrowText(records) {
  let n = 0;
  for (let i = 0; i < records.length; i++) if (arrowText(records[i])) n++;
  return n;
}

function clearCache(records) {
  for (const r of records) setRecordValue(r, undefined);
}

/** Records per second of one run; `before` runs untimed first (to reset caches). */
function measure(run, records, before) {
  before?.(records);
  const start = process.hrtime.bigint();
  const matched = run(records);
  const ns = Number(process.hrtime.bigint() - start);
  return { rate: (records.length / ns) * 1e9, matched };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function compare(runA, runB, records, before) {
  for (let i = 0; i < 3; i++) {
    measure(runA, records, before);
    measure(runB, records, before);
  }
  const a = [];
  const b = [];
  const ratios = []; // per round, of two runs back to back: steadier than a ratio of medians on a busy machine
  let matchedA = 0;
  let matchedB = 0;
  for (let i = 0; i < ROUNDS; i++) {
    // alternate which goes first, so neither always runs on a cooler or warmer heap
    let ra;
    let rb;
    if (i % 2 === 0) {
      ra = measure(runA, records, before);
      rb = measure(runB, records, before);
    } else {
      rb = measure(runB, records, before);
      ra = measure(runA, records, before);
    }
    a.push(ra.rate);
    b.push(rb.rate);
    ratios.push(rb.rate / ra.rate);
    matchedA = ra.matched;
    matchedB = rb.matched;
  }
  if (matchedA !== matchedB) throw new Error(`the compiled filter matched ${matchedA} records, the arrow ${matchedB}`);
  return { a: median(a), b: median(b), ratio: median(ratios), matched: matchedA };
}

const parsedRun = compare(runCompiled, runArrow, preParsed);
const textRun = compare(runCompiledText, runArrowText, rawText, clearCache);

const m = (rate) => (rate / 1e6).toFixed(2);
const ratio = parsedRun.ratio;
const textRatio = textRun.ratio;
console.log(`expression: ${EXPR}`);
console.log(`records: ${RECORDS} pre-parsed (${parsedRun.matched} match), ${TEXT_RECORDS} raw JSON text; median of ${ROUNDS} rounds`);
console.log(
  `filter: compiled ${m(parsedRun.a)} M records/s, plain arrow ${m(parsedRun.b)} M records/s, ratio ${ratio.toFixed(2)} (target <= ${TARGET_RATIO.toFixed(1)})`,
);
console.log(
  `filter (raw JSON text, parse included): compiled ${m(textRun.a)} M records/s, arrow with JSON.parse ${m(textRun.b)} M records/s, ratio ${textRatio.toFixed(2)} (information)`,
);
const result = {
  expression: EXPR,
  records: RECORDS,
  compiledPerSec: Math.round(parsedRun.a),
  arrowPerSec: Math.round(parsedRun.b),
  ratio: Number(ratio.toFixed(3)),
  target: TARGET_RATIO,
  ok: ratio <= TARGET_RATIO,
  text: {
    records: TEXT_RECORDS,
    compiledPerSec: Math.round(textRun.a),
    arrowPerSec: Math.round(textRun.b),
    ratio: Number(textRatio.toFixed(3)),
  },
};
console.log(`RESULT ${JSON.stringify(result)}`);
if (!result.ok) process.exitCode = 1;
