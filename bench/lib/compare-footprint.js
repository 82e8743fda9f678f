// @ts-check
// Targets 8 and 7 of bench/compare.js: the wall time of `evq --help` and `evq produce t x` against
// `node -e 0` + one HTTP round trip; the broker's RSS with retained messages and idle subscribers, and the
// peak RSS of `evq produce` reading a pipe.
import { fmt } from '../_bench-util.js';
import { brokerMemory } from '../_broker-memory.js';
import { generatedLines, produceFromPipe } from '../_produce-pipe.js';
import { measureStartup } from '../_startup.js';
import { startBroker } from '../_ws-load.js';
import { megabytes } from './compare-checks.js';

/** @typedef {import('./compare-report.js').CompareContext} CompareContext */

/** Target 8. @param {CompareContext} ctx */
export async function measureStartupTime(ctx) {
  const startup = await measureStartup(ctx.servers.always.httpUrl, { runs: 5 });
  const m = startup.medianMs;
  ctx.step(
    `node -e 0 ${m.nodeE0.toFixed(1)} ms + round trip ${m.roundTrip.toFixed(2)} ms = ${startup.baselineMs.toFixed(1)} ms; evq --help ${m.help.toFixed(1)} ms, evq produce t x ${m.produce.toFixed(1)} ms`,
  );
  return {
    figures: { startup },
    startup,
    helpRatio: m.help / startup.baselineMs,
    produceRatio: m.produce / startup.baselineMs,
  };
}

/**
 * Target 7. Stops the `--fsync always` broker (the memory figure wants a fresh one with nothing but the
 * retained messages in it): it is the last target that may use it.
 * @param {CompareContext} ctx
 */
export async function measureMemory(ctx) {
  const { settings: s, servers } = ctx;
  await ctx.stopOne(servers.always);
  const fresh = await ctx.start(() => startBroker('always'));
  const memory = await brokerMemory(fresh, { messages: s.retained, subscribers: 100 });
  if (!memory.ok) ctx.problem(`memory run: ${memory.retained} of ${memory.messages} messages retained`);
  ctx.step(
    `broker RSS ${megabytes(memory.rssBytes)} (peak ${megabytes(memory.peakRssBytes)}; ${megabytes(memory.rssAtStartBytes)} at start, ${megabytes(memory.rssAfterProduceBytes)} after producing)`,
  );
  await ctx.stopOne(fresh);
  const pipe = await produceFromPipe(servers.never.httpUrl, 'pipe', generatedLines(s.pipeLines, s.size + 1));
  const topics = /** @type {any} */ (await (await fetch(`${servers.never.httpUrl}/topics`)).json());
  const piped = topics.topics.find((/** @type {{ topic: string }} */ t) => t.topic === 'pipe')?.messageCount ?? 0;
  if (piped !== s.pipeLines) ctx.problem(`evq produce: the topic holds ${piped} messages, ${s.pipeLines} piped`);
  const pipeRate = (s.pipeLines * 1000) / pipe.ms;
  ctx.step(`evq produce: peak RSS ${megabytes(pipe.peak)}, ${fmt(pipeRate)} lines/s (${(pipe.ms / 1000).toFixed(1)} s, start-up included)`);
  return {
    figures: {
      memory: {
        broker: memory,
        producer: {
          lines: s.pipeLines,
          peakRssBytes: pipe.peak,
          linesPerSec: Math.round(pipeRate),
          wallMs: Math.round(pipe.ms),
          stored: piped,
          summary: pipe.summary,
        },
      },
    },
    brokerRssBytes: memory.rssBytes,
    brokerPeakRssBytes: memory.peakRssBytes,
    producerPeakRssBytes: pipe.peak,
  };
}
