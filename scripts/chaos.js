#!/usr/bin/env node
/**
 * Crash loop: runs `evq serve` (a real process, bin/evq.js on dist/), drives mixed load at it — producers
 * through the client library, live subscribers, a consumer group committing over HTTP, delayed messages —
 * and SIGKILLs it at a random moment, for `--rounds N` rounds (`--seed S` replays a run). After every
 * restart it checks:
 * - every acknowledged message is in the log exactly once, at the offset its acknowledgement gave (the
 *   producers do not retry, so a message that was not acknowledged may be missing but is never doubled);
 * - every record a live subscriber received is still in the log at that offset (nothing read is taken back);
 * - offsets run from 0 without gaps;
 * - the group's committed offset is not behind any acknowledged commit (never moves backwards);
 * - no delayed message is delivered before it was due, and every acknowledged one is delivered once due
 *   (delivery is at least once, as documented: a kill between the append and its journal mark can repeat
 *   one; repeats are counted and reported).
 * The newest part of the log is checked every round and the whole log every 20 rounds and at the end.
 *
 *   npm run test:chaos -- --rounds 200 --seed 42
 *
 * It prints one summary line; exit code 0 when nothing was lost, 1 otherwise. `runChaos` is what
 * test/e2e/chaos.test.ts runs (a short version, in `npm test`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../dist/index.js';

const EVQ_BIN = fileURLToPath(new URL('../bin/evq.js', import.meta.url));
const READY_LINE = /evq broker listening on (http:\/\/\S+) \(/;
const TOPIC = 'orders';
const DELAYED_TOPIC = 'later';
const GROUP = 'chaos';
const FULL_CHECK_EVERY = 20;
/** After a restart, overdue delayed messages must arrive within this long. */
const DELAYED_GRACE_MS = 10_000;

/** mulberry32: the same seed gives the same run of choices. */
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class ChaosFailure extends Error {}

function fail(message) {
  throw new ChaosFailure(message);
}

/** Starts `evq serve` and resolves once it printed its URL. */
function startBroker(dataDir, readyTimeoutMs, fsync) {
  const child = spawn(process.execPath, [EVQ_BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--fsync', fsync], {
    env: { ...process.env, NO_COLOR: '1', EVQ_TOKEN: '', EVQ_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`evq serve printed no ready line within ${readyTimeoutMs} ms; stderr: ${stderr}`));
    }, readyTimeoutMs);
    const onData = () => {
      const match = READY_LINE.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(match[1]);
    };
    child.stdout.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`evq serve exited (code ${code}, signal ${signal}) before it was ready; stderr: ${stderr}`));
    });
  });
  return { child, exited, ready, stderr: () => stderr };
}

/** Records of `topic` from `from` to the end (empty when the topic does not exist). */
async function readFrom(url, topic, from) {
  const records = [];
  for (;;) {
    const res = await fetch(`${url}/topics/${topic}/messages?from=${from + records.length}&limit=10000`);
    if (res.status === 404) return records;
    if (res.status !== 200) fail(`reading ${topic} from ${from + records.length}: HTTP ${res.status} ${await res.text()}`);
    const lines = (await res.text()).split('\n').filter((l) => l !== '');
    if (lines.length === 0) return records;
    for (const line of lines) records.push(JSON.parse(line));
  }
}

async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, body: /** @type {any} */ (await res.json()) };
}

/**
 * Runs the crash loop. Options: `rounds` (default 10), `seed`, `minLoadMs`/`maxLoadMs` (how long the load
 * runs before the kill, default 200–1200 ms), `producers` (default 3), `fsync` (the broker's mode, default
 * `always`: a SIGKILL loses nothing in any mode, the OS keeps what was written), `dataDir` (default a new temp dir,
 * removed at the end), `log` (called with progress lines), `readyTimeoutMs` (default 30 s).
 * Resolves with the summary; rejects with what was lost or broken.
 */
export async function runChaos(options = {}) {
  const rounds = options.rounds ?? 10;
  const seed = (options.seed ?? Date.now()) >>> 0;
  const minLoadMs = options.minLoadMs ?? 200;
  const maxLoadMs = options.maxLoadMs ?? 1200;
  const producers = options.producers ?? 3;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const fsync = options.fsync ?? 'always';
  if (!['always', 'interval', 'never'].includes(fsync)) throw new Error(`fsync must be always, interval or never, not ${fsync}`);
  const log = options.log ?? (() => {});
  const random = seededRandom(seed);
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'evq-chaos-')));
  const started = Date.now();

  /** value -> offset of every acknowledged message. */
  const acked = new Map();
  /** offset -> value of every record a subscriber or the group consumer received. */
  const seen = new Map();
  /** value -> dueAt of every acknowledged delayed message. */
  const delayed = new Map();
  let committed = -1;
  let verifiedUpTo = 0; // offsets below were checked in the last full or partial check
  const stats = { rounds: 0, acked: 0, delayed: 0, delayedDelivered: 0, delayedRepeats: 0, commits: 0, kills: 0, lost: 0, subscribed: 0 };

  /** The checks after a restart (see the file's comment). */
  const check = async (url, round, full) => {
    const from = full ? 0 : verifiedUpTo;
    const records = await readFrom(url, TOPIC, from);
    const values = new Map();
    records.forEach((r, i) => {
      if (r.offset !== from + i) fail(`round ${round}: offset ${from + i} expected, ${r.offset} found (a gap)`);
      if (values.has(r.value)) fail(`round ${round}: ${r.value} twice, at ${values.get(r.value)} and ${r.offset}`);
      values.set(r.value, r.offset);
    });
    const end = from + records.length;
    let lost = 0;
    const missing = [];
    for (const [value, offset] of acked) {
      if (offset < from) continue;
      if (values.get(value) !== offset) {
        lost++;
        if (missing.length < 5) missing.push(`${value}@${offset}`);
      }
    }
    for (const [offset, value] of seen) {
      if (offset < from) continue;
      const found = records[offset - from];
      if (found === undefined || found.value !== value)
        fail(`round ${round}: offset ${offset} was read as ${value}, now holds ${found?.value ?? 'nothing'}`);
    }
    if (lost > 0) {
      stats.lost += lost;
      fail(`round ${round}: ${lost} acknowledged messages missing, e.g. ${missing.join(', ')}`);
    }
    verifiedUpTo = end;
    // the group
    if (committed >= 0) {
      const { status, body } = await getJson(`${url}/topics/${TOPIC}/groups/${GROUP}`);
      if (status !== 200 || !(body.committed >= committed))
        fail(`round ${round}: group offset ${body.committed ?? status} is behind the acknowledged commit ${committed}`);
    }
    // delayed messages: never early; the overdue ones all arrive
    const restartAt = Date.now();
    const deadline = restartAt + DELAYED_GRACE_MS;
    for (;;) {
      const later = await readFrom(url, DELAYED_TOPIC, 0);
      const counts = new Map();
      for (const r of later) {
        const due = delayed.get(r.value);
        if (due !== undefined && r.timestamp < due)
          fail(`round ${round}: delayed ${r.value} delivered at ${r.timestamp}, before it was due at ${due}`);
        counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
      }
      const overdue = [...delayed].filter(([value, due]) => due <= restartAt && !counts.has(value));
      if (overdue.length === 0) {
        stats.delayedDelivered = [...delayed.keys()].filter((v) => counts.has(v)).length;
        stats.delayedRepeats = [...counts.values()].reduce((n, c) => n + (c - 1), 0);
        break;
      }
      if (Date.now() > deadline)
        fail(
          `round ${round}: ${overdue.length} overdue delayed messages not delivered ${DELAYED_GRACE_MS} ms after the restart, e.g. ${overdue[0][0]}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Mixed load until `stop` resolves. */
  const drive = async (url, round, stopped) => {
    const client = await connect(url, { timeoutMs: 5000 });
    let going = true;
    void stopped.then(() => (going = false));
    const producer = async (p) => {
      for (let seq = 0; going; seq++) {
        const n = 1 + Math.floor(random() * 10);
        const values = Array.from({ length: n }, (_, i) => `r${round}-p${p}-${seq}-${i}`);
        try {
          await client.produce(
            TOPIC,
            values.map((value) => ({ value })),
            {
              retries: 0,
              onAck: (ack) => {
                acked.set(values[ack.index], ack.offset);
                stats.acked++;
              },
            },
          );
        } catch {
          return; // the broker is gone
        }
      }
    };
    const subscriber = async () => {
      const from = Math.max(0, verifiedUpTo - Math.floor(random() * 50));
      const sub = client.subscribe(TOPIC, { from, reconnect: false });
      void stopped.then(() => sub.close().catch(() => undefined));
      let expect = null;
      try {
        for await (const record of sub) {
          if (expect !== null && record.offset !== expect)
            fail(`round ${round}: a subscriber got offset ${record.offset} after ${expect - 1}`);
          expect = record.offset + 1;
          seen.set(record.offset, record.value.toString());
          stats.subscribed++;
          if (!going) break;
        }
      } catch (error) {
        if (error instanceof ChaosFailure) throw error;
      }
    };
    const group = async () => {
      while (going) {
        let res;
        try {
          res = await fetch(`${url}/topics/${TOPIC}/groups/${GROUP}/messages?limit=${1 + Math.floor(random() * 40)}&autocommit=true`);
        } catch {
          return;
        }
        const body = await res.text().catch(() => null);
        if (res.status !== 200 || body === null) continue;
        for (const line of body.split('\n')) {
          if (line === '') continue;
          const r = JSON.parse(line);
          seen.set(r.offset, r.value);
        }
        const c = Number(res.headers.get('evq-committed-offset') ?? -1);
        if (c < committed) fail(`round ${round}: the group's offset went back from ${committed} to ${c} while the broker ran`);
        if (c > committed) stats.commits++;
        committed = Math.max(committed, c);
      }
    };
    const delayer = async () => {
      for (let seq = 0; going; seq++) {
        const value = `r${round}-d-${seq}`;
        const delayMs = 100 + Math.floor(random() * 1500);
        let res;
        try {
          res = await fetch(`${url}/topics/${DELAYED_TOPIC}/messages`, {
            method: 'POST',
            body: value,
            headers: { 'content-type': 'application/octet-stream', 'evq-delay': `${delayMs}ms` },
          });
        } catch {
          return;
        }
        const body = /** @type {any} */ (await res.json().catch(() => null));
        if (res.status === 202 && body !== null) {
          delayed.set(value, body.dueAt);
          stats.delayed++;
        }
        await new Promise((r) => setTimeout(r, 20 + Math.floor(random() * 60)));
      }
    };
    const tasks = [subscriber(), group(), delayer()];
    for (let p = 0; p < producers; p++) tasks.push(producer(p));
    const results = await Promise.allSettled(tasks);
    await client.close().catch(() => undefined);
    for (const r of results) if (r.status === 'rejected' && r.reason instanceof ChaosFailure) throw r.reason;
  };

  let broker = null;
  try {
    for (let round = 0; round < rounds; round++) {
      broker = startBroker(dataDir, readyTimeoutMs, fsync);
      const url = await broker.ready;
      if (round > 0) await check(url, round, round % FULL_CHECK_EVERY === 0);
      const loadMs = minLoadMs + Math.floor(random() * (maxLoadMs - minLoadMs));
      let kill;
      const stopped = new Promise((resolve) => (kill = resolve));
      const killer = new Promise((resolve) => setTimeout(resolve, loadMs)).then(() => {
        broker.child.kill('SIGKILL');
        kill();
      });
      await Promise.all([
        drive(
          url,
          round,
          broker.exited.then(() => undefined),
        ),
        killer,
      ]);
      await stopped;
      const exit = await broker.exited;
      if (exit.signal !== 'SIGKILL')
        fail(`round ${round}: evq serve exited by itself (code ${exit.code}) before the kill; stderr: ${broker.stderr()}`);
      broker = null;
      stats.kills++;
      stats.rounds++;
      log(`round ${round + 1}/${rounds}: ${acked.size} acked, group at ${committed}, ${delayed.size} delayed`);
    }
    // the last restart: everything, fully, once every delayed message is due
    broker = startBroker(dataDir, readyTimeoutMs, fsync);
    const url = await broker.ready;
    const lastDue = Math.max(0, ...delayed.values());
    if (lastDue > Date.now()) await new Promise((r) => setTimeout(r, lastDue - Date.now() + 1));
    await check(url, rounds, true);
    broker.child.kill('SIGTERM');
    const exit = await broker.exited;
    if (exit.code !== 0) fail(`the final broker did not stop cleanly (code ${exit.code}, signal ${exit.signal})`);
    broker = null;
  } finally {
    if (broker !== null) {
      broker.child.kill('SIGKILL');
      await broker.exited;
    }
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  }
  const summary = {
    seed,
    fsync,
    rounds: stats.rounds,
    acked: acked.size,
    subscribed: stats.subscribed,
    commits: stats.commits,
    committed,
    delayed: delayed.size,
    delayedDelivered: stats.delayedDelivered,
    delayedRepeats: stats.delayedRepeats,
    faultsSurvived: stats.kills,
    lost: stats.lost,
    elapsedMs: Date.now() - started,
  };
  return summary;
}

/** The one-line summary. */
export function formatSummary(s) {
  return (
    `chaos: ${s.rounds} rounds (seed ${s.seed}, --fsync ${s.fsync}), ${s.acked} acked messages, ${s.subscribed} received live, ` +
    `group committed to ${s.committed} (${s.commits} commits), ${s.delayed} delayed (${s.delayedDelivered} delivered, ` +
    `${s.delayedRepeats} repeated), ${s.faultsSurvived} SIGKILLs survived, lost: ${s.lost}, in ${(s.elapsedMs / 1000).toFixed(1)} s`
  );
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    const number = () => {
      const n = Number(value);
      if (value === undefined || !Number.isSafeInteger(n) || n < 0) {
        process.stderr.write(`chaos: ${arg} needs a whole number\n`);
        process.exit(2);
      }
      i++;
      return n;
    };
    if (arg === '--rounds') out.rounds = number();
    else if (arg === '--seed') out.seed = number();
    else if (arg === '--min-load-ms') out.minLoadMs = number();
    else if (arg === '--max-load-ms') out.maxLoadMs = number();
    else if (arg === '--producers') out.producers = number();
    else if (arg === '--quiet') out.quiet = true;
    else if (arg === '--fsync') {
      if (!['always', 'interval', 'never'].includes(value ?? '')) {
        process.stderr.write(`chaos: --fsync needs always, interval or never\n`);
        process.exit(2);
      }
      out.fsync = value;
      i++;
    } else {
      process.stderr.write(
        `chaos: unknown argument ${arg} (use --rounds N --seed S [--fsync always|interval|never --min-load-ms MS --max-load-ms MS --producers N --quiet])\n`,
      );
      process.exit(2);
    }
  }
  return out;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs(process.argv.slice(2));
  const seed = (args.seed ?? Date.now()) >>> 0;
  process.stderr.write(`chaos: seed ${seed} (replay with --seed ${seed})\n`);
  runChaos({ ...args, seed, log: args.quiet ? undefined : (line) => process.stderr.write(`${line}\n`) }).then(
    (summary) => {
      process.stdout.write(`${formatSummary(summary)}\n`);
    },
    (error) => {
      process.stderr.write(`chaos: FAILED (seed ${seed}): ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
