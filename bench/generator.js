#!/usr/bin/env node
// The load generator benchmark, one run:
//   npm run build && node bench/generator.js          (or: npm run bench -- generator)
//
// 1. The generator's own ceiling: `evq bench --transport http` (single-message POSTs, 10 connections x
//    pipelining 10, raw sockets with prebuilt requests) against a minimal node:http server, versus
//    `autocannon -c 10 -p 10` against the same server, alternating, ROUNDS rounds: the ratio of their
//    requests/s (target >= 1.0), and the CPU each spent per request (from /proc, Linux).
// 2. `evq bench --embedded` (the one-command demo: a broker in its own thread, a temporary data dir, fsync
//    always), 100-byte messages, 1 producer -> 1 subscriber and 1 -> 10: msgs/s and the end-to-end latency
//    p50/p99 (corrected for coordinated omission, and uncorrected) at full speed, then with --rate at 50% of
//    the full-speed rate.
//
// Every run is a separate process (`bin/evq.js bench … --json -`, autocannon's CLI with -j); the minimal
// server is bench/_minimal-http-server.js (the runs are in bench/_http-generator.js). Bounded in time.
//
// Environment (all optional):
//   EVQ_BENCH_GEN_SECONDS   seconds of each ceiling run (default 5)
//   EVQ_BENCH_GEN_ROUNDS    alternating rounds of the ceiling runs (default 5)
//   EVQ_BENCH_GEN_MESSAGES  messages of the full-speed 1 -> 1 run (default 500000; 1 -> 10 sends a fifth)
//   EVQ_BENCH_GEN_ONLY      ceiling, embedded or both (default both)
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, round } from './_bench-util.js';
import {
  autocannonRun as autocannon,
  evqHttpRun as evqHttp,
  killChildren,
  runProcess as run,
  startMinimalServer,
} from './_http-generator.js';

await main();

async function main() {
  const here = dirname(fileURLToPath(import.meta.url));
  const EVQ = join(here, '..', 'bin', 'evq.js');
  const env = process.env;
  const SECONDS = Number(env.EVQ_BENCH_GEN_SECONDS ?? 5);
  const ROUNDS = Number(env.EVQ_BENCH_GEN_ROUNDS ?? 5);
  const MESSAGES = Number(env.EVQ_BENCH_GEN_MESSAGES ?? 500_000);
  const ONLY = env.EVQ_BENCH_GEN_ONLY ?? 'both';
  const CEILING_TARGET = 1.0;
  const MAX_WALL_SECONDS = 600;
  const started = performance.now();
  const loadBefore = loadavg()[0];
  const result = { bench: 'generator', seconds: SECONDS, rounds: ROUNDS };
  const problems = [];
  setTimeout(() => {
    console.log(`!! the benchmark did not finish in ${MAX_WALL_SECONDS} s: stopping`);
    killChildren();
    process.exit(1);
  }, MAX_WALL_SECONDS * 1000).unref();

  async function embedded(args) {
    const r = await run(process.execPath, [EVQ, 'bench', '--embedded', '--size', '100', '--json', '-', ...args], { timeoutMs: 300_000 });
    let json;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      throw new Error(`evq bench ${args.join(' ')} printed no result (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`);
    }
    if (r.code !== 0) problems.push(`evq bench --embedded ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
    return json;
  }

  const pad = (s, n) => String(s).padEnd(n);
  const lpad = (s, n) => String(s).padStart(n);
  const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : 'n/a');

  console.log(
    `generator: evq bench's load generator itself, and evq bench --embedded end to end; load average ${loadBefore.toFixed(2)} on ${availableParallelism()} cores`,
  );

  try {
    if (ONLY === 'both' || ONLY === 'ceiling') {
      const server = await startMinimalServer();
      try {
        // warm the server's hot paths up with both generators, unmeasured
        await evqHttp(server.url, 2);
        await autocannon(server.url, 2);
        const runs = { evq: [], autocannon: [] };
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? ['evq', 'autocannon'] : ['autocannon', 'evq'];
          for (const kind of order)
            runs[kind].push(kind === 'evq' ? await evqHttp(server.url, SECONDS) : await autocannon(server.url, SECONDS));
        }
        const ratios = runs.evq.map((r, i) => r.perSec / runs.autocannon[i].perSec);
        const ratio = median(ratios);
        const ok = ratio >= CEILING_TARGET;
        console.log(
          `\n1. the generator's ceiling: single-message POSTs, 10 connections x pipelining 10, a minimal node:http server (median of ${ROUNDS} alternating rounds of ${SECONDS} s)`,
        );
        console.log(
          `   ${pad('generator', 34)}${lpad('requests/s', 12)}${lpad('spread', 18)}${lpad('cpu µs/req', 12)}${lpad('errors', 8)}`,
        );
        const line = (name, list) => {
          const rates = list.map((r) => r.perSec);
          console.log(
            `   ${pad(name, 34)}${lpad(fmt(median(rates)), 12)}${lpad(`${fmt(Math.min(...rates))}-${fmt(Math.max(...rates))}`, 18)}` +
              `${lpad(median(list.map((r) => r.cpuUsPerReq)).toFixed(1), 12)}${lpad(
                list.reduce((n, r) => n + r.errors, 0),
                8,
              )}`,
          );
        };
        line('evq bench --transport http', runs.evq);
        line('autocannon -c 10 -p 10', runs.autocannon);
        console.log(
          `   evq / autocannon = ${ratio.toFixed(2)} (per round ${ratios.map((x) => x.toFixed(2)).join(', ')}; target >= ${CEILING_TARGET}): ${ok ? 'PASS' : 'FAIL'}`,
        );
        result.ceiling = {
          evqRequestsPerSec: Math.round(median(runs.evq.map((r) => r.perSec))),
          autocannonRequestsPerSec: Math.round(median(runs.autocannon.map((r) => r.perSec))),
          evqCpuUsPerRequest: round(median(runs.evq.map((r) => r.cpuUsPerReq)), 2),
          autocannonCpuUsPerRequest: round(median(runs.autocannon.map((r) => r.cpuUsPerReq)), 2),
          ratio: round(ratio, 3),
          rounds: ratios.map((x) => round(x, 3)),
          target: CEILING_TARGET,
          ok,
        };
        if (!ok) problems.push(`generator ceiling ratio ${ratio.toFixed(2)} < ${CEILING_TARGET}`);
      } finally {
        await server.stop();
      }
    }

    if (ONLY === 'both' || ONLY === 'embedded') {
      console.log('\n2. evq bench --embedded (broker in its own thread, temporary data dir, fsync always), 100-byte messages, e2e latency');
      console.log(
        `   ${pad('run', 34)}${lpad('msgs/s pub', 12)}${lpad('msgs/s dlv', 12)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('uncorr p50', 12)}${lpad('uncorr p99', 12)}${lpad('lost', 6)}`,
      );
      const out = {};
      for (const subs of [1, 10]) {
        const messages = subs === 1 ? MESSAGES : Math.round(MESSAGES / 5);
        const full = await embedded(['--subscribers', String(subs), '--messages', String(messages)]);
        const rate = Math.max(1000, Math.round(full.publish.msgsPerSec / 2));
        const half = await embedded([
          '--subscribers',
          String(subs),
          '--rate',
          String(rate),
          '--messages',
          String(Math.min(messages, rate * 5)),
          '--warmup',
          '1s',
        ]);
        for (const [name, r] of [
          [`1 -> ${subs}, full speed`, full],
          [`1 -> ${subs}, --rate ${fmt(rate)} (50%)`, half],
        ]) {
          console.log(
            `   ${pad(name, 34)}${lpad(fmt(r.publish.msgsPerSec), 12)}${lpad(fmt(r.deliver.msgsPerSec), 12)}` +
              `${lpad(ms(r.latency.e2e.p50), 9)}${lpad(ms(r.latency.e2e.p99), 9)}${lpad(ms(r.latency.e2eUncorrected.p50), 12)}${lpad(ms(r.latency.e2eUncorrected.p99), 12)}` +
              `${lpad(r.verification.lost, 6)}`,
          );
          if (!r.verification.ok)
            problems.push(
              `${name}: ${r.verification.lost} lost, ${r.verification.duplicated} duplicated, ${r.verification.reordered} reordered`,
            );
        }
        const figures = (r) => ({
          publishMsgsPerSec: r.publish.msgsPerSec,
          deliverMsgsPerSec: r.deliver.msgsPerSec,
          e2eP50Ms: round(r.latency.e2e.p50 / 1000, 3),
          e2eP99Ms: round(r.latency.e2e.p99 / 1000, 3),
          uncorrectedP50Ms: round(r.latency.e2eUncorrected.p50 / 1000, 3),
          uncorrectedP99Ms: round(r.latency.e2eUncorrected.p99 / 1000, 3),
          messages: r.publish.messages,
          lost: r.verification.lost,
        });
        out[`subs${subs}`] = { full: figures(full), half: { rate, ...figures(half) } };
      }
      result.embedded = out;
    }
  } finally {
    killChildren();
  }

  result.ok = problems.length === 0;
  result.wallSeconds = round((performance.now() - started) / 1000, 1);
  result.loadAverage = { before: round(loadBefore, 2), after: round(loadavg()[0], 2), cores: availableParallelism() };
  for (const p of problems) console.log(`!! ${p}`);
  console.log(
    `\n${result.ok ? 'all targets met' : 'FAILED'} (${result.wallSeconds} s, load average ${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)})`,
  );
  console.log(`RESULT ${JSON.stringify(result)}`);
  if (!result.ok) process.exitCode = 1;
}
