// @ts-check
// The settings of bench/compare.js: what the environment may change (checked), the fixed shape of the
// load, and the targets each measured figure is held against.
import { fileURLToPath } from 'node:url';

const MB = 1_000_000;

/**
 * @typedef {object} CompareSettings
 * @property {number} rounds        alternating rounds of each compared pair (EVQ_COMPARE_ROUNDS, 1-10, default 3)
 * @property {number} seconds       measured seconds of each `evq bench` run (EVQ_COMPARE_SECONDS, 1-60, default 4)
 * @property {number} pipeLines     lines `evq produce` reads from a pipe (EVQ_COMPARE_PIPE_LINES, default 10,000,000)
 * @property {number} retained      messages the memory figure's broker retains (EVQ_COMPARE_RETAINED, default 1,000,000)
 * @property {string} out           the JSON file written (EVQ_COMPARE_OUT, default bench/results/latest.json)
 * @property {number} warmup        warm-up seconds of each `evq bench` run
 * @property {number} size          bytes of every message value
 * @property {number} fanoutSubscribers
 * @property {number} fanoutBatch   messages per frame of the fan-out load
 * @property {number} fanoutSeconds
 * @property {number} produceSeconds
 * @property {number} httpSeconds
 * @property {number} maxWallSeconds  past this the whole comparison is stopped
 * @property {number[] | null} only  the targets to measure (EVQ_COMPARE_ONLY, a comma list of ids; null: all)
 * @property {number} groupPartitions  partitions of target 10's topic
 * @property {number} groupProducers   producers of target 10
 * @property {number} groupMembers     members of target 10's group
 * @property {number} kafkaMessages    lines of target 11 (EVQ_COMPARE_KAFKA_MESSAGES, default 1,000,000)
 * @property {number} consoleMessages  messages of target 12's topic (EVQ_COMPARE_CONSOLE_MESSAGES, default 1,000,000)
 */

/** The targets: ratios are evq / the other, `…Ms` and `…Bytes` are ceilings. */
export const TARGETS = {
  jetstream: 4,
  natsCore: 2,
  fanout: 0.75,
  filtered: 0.5,
  fsync: 0.9,
  /** e2e p99 and p99.9 at half the full-speed rate, as multiples of the bare ws forwarder's at the same rate. */
  floorP99: 3,
  floorP999: 5,
  /** The generator's send lag p99 at most this share of the e2e p99 (the generator is not the one that is late). */
  sendLagShare: 0.25,
  http: 1,
  brokerRssBytes: 200 * MB,
  producerRssBytes: 100 * MB,
  startup: 1.5,
  /** 6 partitions, 3 producers, a 3-member group: delivered/s against the 1-partition 1 -> 1 figure. */
  partitions: 0.9,
  /** Each scale curve's figure at its largest count against the one at 10. */
  scale: 0.5,
  /** kcat -P / evq produce and kcat -C / evq consume of the same 1 M lines, one broker. */
  kafkaListener: 0.8,
  /** The console: bytes of a first load, ms to the messages view's first page of a 1,000,000-message topic. */
  consoleFirstLoadBytes: 300_000,
  consoleFirstPageMs: 300,
};

/**
 * The settings from `env`; a value out of range is a usage error: the message to print (exit code 2).
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ settings: CompareSettings } | { error: string }}
 */
export function compareSettings(env) {
  const rounds = Number(env.EVQ_COMPARE_ROUNDS ?? 3);
  const seconds = Number(env.EVQ_COMPARE_SECONDS ?? 4);
  const pipeLines = Number(env.EVQ_COMPARE_PIPE_LINES ?? 10_000_000);
  const retained = Number(env.EVQ_COMPARE_RETAINED ?? 1_000_000);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 10) || !(seconds >= 1 && seconds <= 60)) {
    return { error: 'EVQ_COMPARE_ROUNDS must be a whole number from 1 to 10, EVQ_COMPARE_SECONDS a number from 1 to 60' };
  }
  if (
    !(Number.isInteger(pipeLines) && pipeLines >= 1000 && pipeLines <= 100_000_000) ||
    !(Number.isInteger(retained) && retained >= 1000 && retained <= 10_000_000)
  ) {
    return {
      error: 'EVQ_COMPARE_PIPE_LINES must be a whole number from 1,000 to 100,000,000, EVQ_COMPARE_RETAINED from 1,000 to 10,000,000',
    };
  }
  const onlyText = (env.EVQ_COMPARE_ONLY ?? '').trim();
  const only = onlyText === '' ? null : onlyText.split(',').map((t) => Number(t.trim()));
  if (only !== null && !only.every((id) => Number.isInteger(id) && id >= 1 && id <= 99)) {
    return { error: `EVQ_COMPARE_ONLY must be a comma list of target numbers (9,10), got ${JSON.stringify(onlyText)}` };
  }
  return {
    settings: {
      only,
      groupPartitions: 6,
      groupProducers: 3,
      groupMembers: 3,
      kafkaMessages: Math.max(1000, Math.min(10_000_000, Number(env.EVQ_COMPARE_KAFKA_MESSAGES ?? 1_000_000) || 1_000_000)),
      consoleMessages: Math.max(1000, Math.min(10_000_000, Number(env.EVQ_COMPARE_CONSOLE_MESSAGES ?? 1_000_000) || 1_000_000)),
      rounds,
      seconds,
      pipeLines,
      retained,
      out: env.EVQ_COMPARE_OUT ?? fileURLToPath(new URL('../results/latest.json', import.meta.url)),
      warmup: 1,
      size: 100,
      fanoutSubscribers: 10,
      fanoutBatch: 100,
      fanoutSeconds: 2,
      produceSeconds: 1.5,
      httpSeconds: 3,
      maxWallSeconds: 900,
    },
  };
}

/**
 * The `evq bench` flags every target's run shares: the producers (1 unless told), the message size, the
 * duration and the warm-up.
 * @param {CompareSettings} s @param {number} [producers]
 * @returns {string[]}
 */
export function oneProducerArgs(s, producers = 1) {
  return ['--producers', String(producers), '--size', String(s.size), '--duration', `${s.seconds}s`, '--warmup', `${s.warmup}s`];
}
