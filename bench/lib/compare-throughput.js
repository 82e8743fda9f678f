// @ts-check
// Targets 4 and 6 of bench/compare.js: acknowledged msgs/s of 4 producers with --fsync always against
// --fsync never (group commit), and `evq bench --transport http` against autocannon on a minimal node:http
// server; each pair alternates, ROUNDS times.
import { fmt, median, round } from '../_bench-util.js';
import { autocannonRun, evqHttpRun, startMinimalServer } from '../_http-generator.js';
import { createWsLoad } from '../_ws-load.js';

/** @typedef {import('./compare-report.js').CompareContext} CompareContext */

/** Target 4. @param {CompareContext} ctx */
export async function measureGroupCommit(ctx) {
  const { settings: s, servers } = ctx;
  const produce = createWsLoad({ batch: 1000, valueBytes: s.size, seconds: s.produceSeconds });
  await produce.produceRun(servers.always, 'warmup-produce', 4, 0.7);
  await produce.produceRun(servers.never, 'warmup-produce', 4, 0.7);
  /** @type {{ always: any[], never: any[] }} */
  const fs = { always: [], never: [] };
  for (let round = 0; round < s.rounds; round++) {
    /** @type {('always' | 'never')[]} */
    const order = round % 2 === 0 ? ['always', 'never'] : ['never', 'always'];
    for (const mode of order) {
      const run = await produce.produceRun(servers[mode], `produce4-${round}`, 4);
      fs[mode].push(run);
      ctx.step(
        `fsync ${mode.padEnd(7)} ${fmt(run.rate)} acknowledged/s, ack p99 ${run.ackP99.toFixed(1)} ms${run.framesPerFsync ? `, ${run.framesPerFsync.toFixed(1)} frames per fsync` : ''}`,
      );
    }
  }
  const keep = (/** @type {any} */ r) => ({
    msgsPerSec: Math.round(r.rate),
    ackP50Ms: round(r.ackP50, 2),
    ackP99Ms: round(r.ackP99, 2),
    fsyncs: r.fsyncs,
    framesPerFsync: round(r.framesPerFsync, 1),
    brokerCpuPct: round(r.cpu.server),
  });
  return {
    figures: { groupCommit: { producers: 4, always: fs.always.map(keep), never: fs.never.map(keep) } },
    ratio: median(fs.always.map((r, i) => r.rate / fs.never[i].rate)),
    alwaysRate: median(fs.always.map((r) => r.rate)),
    neverRate: median(fs.never.map((r) => r.rate)),
  };
}

/** Target 6. @param {CompareContext} ctx */
export async function measureHttp(ctx) {
  const { settings: s } = ctx;
  const minimal = await ctx.start(startMinimalServer);
  await evqHttpRun(minimal.url, 1);
  await autocannonRun(minimal.url, 1);
  /** @type {{ evq: any[], autocannon: any[] }} */
  const http = { evq: [], autocannon: [] };
  for (let round = 0; round < s.rounds; round++) {
    /** @type {('evq' | 'autocannon')[]} */
    const order = round % 2 === 0 ? ['evq', 'autocannon'] : ['autocannon', 'evq'];
    for (const kind of order) {
      const run = kind === 'evq' ? await evqHttpRun(minimal.url, s.httpSeconds) : await autocannonRun(minimal.url, s.httpSeconds);
      if (run.errors > 0) ctx.problem(`${kind} (HTTP): ${run.errors} errors`);
      http[kind].push(run);
      ctx.step(`${kind.padEnd(10)} ${fmt(run.perSec)} requests/s, ${run.cpuUsPerReq.toFixed(1)} CPU µs per request`);
    }
  }
  await ctx.stopOne(minimal);
  const keep = (/** @type {any} */ r) => ({
    requestsPerSec: Math.round(r.perSec),
    requests: r.requests,
    cpuUsPerRequest: round(r.cpuUsPerReq, 2),
    errors: r.errors,
  });
  return {
    figures: { http: { evq: http.evq.map(keep), autocannon: http.autocannon.map(keep) } },
    ratio: median(http.evq.map((r, i) => r.perSec / http.autocannon[i].perSec)),
    evqRate: median(http.evq.map((r) => r.perSec)),
    autocannonRate: median(http.autocannon.map((r) => r.perSec)),
  };
}
