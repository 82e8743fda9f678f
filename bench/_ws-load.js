// The WebSocket load of bench/broker.js, shared with bench/compare.js: raw producers sending evq's binary
// produce frames and raw subscribers reading deliver/sparse frames (no evq client library in between, so the
// same load drives evq serve and the bare `ws` forwarder of bench/_ws-baseline-server.js), the servers, and
// the measured runs (produceRun: acknowledged msgs/s; deliveryRun: delivered msgs/s with 1..N subscribers,
// optionally each with its own filter).
//
// createWsLoad(options) returns the runs bound to one message layout:
//   batch        messages per produce frame (default 1000)
//   valueBytes   bytes per message value (default 100)
//   groups       0 (default): every value is filler whose first 8 bytes carry the send time (latency is
//                measured); N > 0: value i of a frame is the JSON object {"g":i%N,...} padded to valueBytes, so
//                that the filter `value.g == k` matches 1/N of the messages (no send time: no latency)
//   window       produce frames in flight per producer (default 64)
//   lagFrames    frames the producer may run ahead of the slowest subscriber (default 64)
//   seconds      length of a measured run (default 1.5)
//   zeroMask     all-zero WebSocket masks from the producers (default true; see bench/broker.js)
//   evqBin       the evq entry point started as the broker (default bin/evq.js)
//   cpuProfDir   a directory: brokers run with --cpu-prof and write their profiles there
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { BATCH_HEADER_BYTES } from '../dist/protocol/batch-layout.js';
import { encodeBatch } from '../dist/protocol/batch-encode.js';
import { FRAME, SUBPROTOCOL_BINARY, decodeProduceFrame, encodeProduceFrame } from '../dist/protocol/ws-frames.js';
import { ownCpuMs, processCpuMs, quantile, spawnNode } from './_bench-util.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_EVQ_BIN = join(here, '..', 'bin', 'evq.js');
const BASELINE = join(here, '_ws-baseline-server.js');
const DRAIN_TIMEOUT_MS = 15_000;
const WARMUP_MS = 700;
/** The sparse frame kind (PROTOCOL.md: u8 0x03 | u32 sub | u32 count | f64 offset * count | batch). */
const SPARSE = FRAME.sparse ?? 0x03;

// ------------------------------------------------------------------------------------------ the messages

/** A batch of `batch` messages (no key, no headers, timestamp 0 = stamped by the broker). */
function templateBatch(batch, valueBytes, groups) {
  const filler = 'evq-broker-bench '.repeat(Math.ceil(valueBytes / 17) + 1);
  const messages = [];
  for (let i = 0; i < batch; i++) {
    let value;
    if (groups > 0) {
      const head = `{"g":${i % groups},"pad":"`;
      const text = `${head}${'x'.repeat(Math.max(0, valueBytes - head.length - 2))}"}`;
      value = Buffer.from(text);
    } else {
      value = Buffer.alloc(valueBytes, filler.slice(0, valueBytes));
    }
    messages.push({ value, key: null, headers: null, timestamp: 0 });
  }
  return encodeBatch(0, messages);
}

/** Where each value starts in a batch of messages without key and headers. */
function valuePositions(batch, count) {
  const positions = [];
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const length = batch.readUInt32BE(pos);
    if (batch.readInt32BE(pos + 12) !== -1 || batch.readUInt16BE(pos + 16) !== 0xffff)
      throw new Error('template: unexpected key or headers');
    positions.push(pos + 4 + 8 + 4 + 2 + 4);
    pos += 4 + length;
  }
  if (pos !== batch.length) throw new Error('template: bad layout');
  return positions;
}

export function openSocket(url, protocols, { zeroMask = true } = {}) {
  const options = { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, ...(zeroMask ? { generateMask: (mask) => mask.fill(0) } : {}) };
  return new Promise((resolve, reject) => {
    const ws = protocols ? new WebSocket(url, protocols, options) : new WebSocket(url, options);
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    // a later error is followed by 'close', which the producer and the subscriber report
    ws.on('error', () => {});
  });
}

export function closeSocket(ws) {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(1000);
    setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1000).unref();
  });
}

/** p50, p99, p99.9 and max (ms) of latencies stored as [latency, weight, latency, weight, ...] across lists. */
function weightedPercentiles(lists) {
  const pairs = [];
  let total = 0;
  for (const list of lists) {
    for (let i = 0; i < list.length; i += 2) {
      pairs.push([list[i], list[i + 1]]);
      total += list[i + 1];
    }
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const at = (q) => {
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (const [latency, weight] of pairs) {
      seen += weight;
      if (seen >= rank) return latency;
    }
    return Number.NaN;
  };
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: pairs.length > 0 ? pairs[pairs.length - 1][0] : Number.NaN };
}

// ------------------------------------------------------------------------------------------ servers

/**
 * Starts `evq serve --port 0 --fsync <fsync>` in a temporary data dir (removed by stop()).
 * @param {'always' | 'interval' | 'never'} fsync
 * @param {{ evqBin?: string, cpuProfDir?: string, env?: NodeJS.ProcessEnv, args?: string[] }} [options]  args: more `evq serve` flags
 */
export async function startBroker(fsync, { evqBin = DEFAULT_EVQ_BIN, cpuProfDir, env = process.env, args = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'evq-bench-broker-'));
  const nodeArgs = cpuProfDir
    ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `broker-${fsync}-${Date.now()}.cpuprofile`]
    : [];
  let server;
  try {
    server = await spawnNode([evqBin, 'serve', '--port', '0', '--data-dir', dataDir, '--fsync', fsync, ...args], {
      ready: /evq broker listening on (http:\/\/\S+)/,
      nodeArgs,
      env: { ...env, NO_COLOR: '1' },
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const httpUrl = server.match[1];
  return {
    name: `evq (fsync ${fsync})`,
    pid: server.child.pid,
    httpUrl,
    wsUrl: `${httpUrl.replace(/^http/, 'ws')}/ws`,
    async stop() {
      const { code, signal } = await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`the broker exited with ${signal ?? code}\n${server.stderr()}`);
    },
  };
}

/** Starts the bare `ws` forwarder (bench/_ws-baseline-server.js) in its own process. */
export async function startBaseline() {
  const server = await spawnNode([BASELINE, '--port', '0'], { ready: /ws baseline listening on (ws:\/\/\S+)/ });
  return {
    name: 'bare ws forwarder',
    pid: server.child.pid,
    wsUrl: server.match[1],
    async stop() {
      await server.stop();
    },
  };
}

/** Sum of a Prometheus series (all label sets) in the broker's /metrics. */
export async function metric(server, name) {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

/** CPU use (% of one core) of the server process and of this process between two calls. */
function cpuMeter(pid) {
  const t0 = performance.now();
  const server0 = processCpuMs(pid);
  const own0 = ownCpuMs();
  return () => {
    const ms = performance.now() - t0;
    const serverMs = processCpuMs(pid) - server0;
    const benchMs = ownCpuMs() - own0;
    return { server: (serverMs / ms) * 100, bench: (benchMs / ms) * 100, serverMs, benchMs };
  };
}

// ------------------------------------------------------------------------------------------ the load

export function createWsLoad({
  batch = 1000,
  valueBytes = 100,
  groups = 0,
  window: defaultWindow = 64,
  lagFrames: defaultLag = 64,
  seconds: defaultSeconds = 1.5,
  zeroMask = true,
} = {}) {
  const TEMPLATE_BATCH = templateBatch(batch, valueBytes, groups);
  const BATCH_VALUE_POSITIONS = valuePositions(TEMPLATE_BATCH, batch);
  /** Offset of the first value in a batch (every delivered batch starts with a record without key and headers). */
  const FIRST_VALUE = BATCH_VALUE_POSITIONS[0];
  const stamped = groups === 0;
  const open = (url, protocols) => openSocket(url, protocols, { zeroMask });

  /**
   * Sends produce frames of `batch` messages over one WebSocket, at most `window` in flight, until `stopAt`
   * (performance.now()) or `maxFrames`; each frame's messages carry its send time (unless `groups`).
   * `mayOpen()` (optional) can hold the next frame back (subscribers too far behind). With `rate` (messages
   * per second) frame k is sent no sooner than k * batch / rate seconds after the start (an open-loop
   * schedule: a late frame goes as soon as it may). `done` resolves once everything sent is answered.
   */
  class Producer {
    /**
     * @param {WebSocket} ws @param {string} topic
     * @param {{ window?: number, mayOpen?: () => boolean, rate?: number, counter?: { messages: number } }} [options]  counter: the messages sent are added to it too
     */
    constructor(ws, topic, { window = defaultWindow, mayOpen = () => true, rate = 0, counter = { messages: 0 } } = {}) {
      this.ws = ws;
      this.counter = counter;
      this.window = window;
      this.mayOpen = mayOpen;
      this.frameMs = rate > 0 ? (batch * 1000) / rate : 0;
      /** @type {NodeJS.Timeout | null} */
      this.timer = null;
      // a ring of frames, so that a frame is not rewritten while ws may still hold it (zero mask: no copy)
      this.frames = [];
      const probe = encodeProduceFrame({ req: 0, topic, gzip: false, dueAt: 0, idempotencyKey: null }, TEMPLATE_BATCH);
      const batchStart = probe.length - TEMPLATE_BATCH.length;
      if (decodeProduceFrame(probe).batch.length !== TEMPLATE_BATCH.length) throw new Error('produce frame layout');
      this.valuePositions = stamped ? BATCH_VALUE_POSITIONS.map((p) => batchStart + p) : [];
      for (let i = 0; i < 2 * window + 2; i++) this.frames.push(Buffer.from(probe));
      this.req = 0;
      this.inFlight = 0;
      this.sentMessages = 0;
      this.ackedMessages = 0;
      this.sentAt = new Map();
      this.ackLatencies = [];
      this.errors = [];
      this.running = false;
      ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
      ws.on('close', () => {
        if (this.running) this.#finish(new Error('the producer connection closed'));
      });
    }

    run({ stopAt = Infinity, maxFrames = Infinity } = {}) {
      this.stopAt = stopAt;
      this.maxFrames = maxFrames;
      this.running = true;
      this.startedAt = performance.now();
      this.done = new Promise((resolve, reject) => {
        this.resolve = resolve;
        this.reject = reject;
      });
      this.pump();
      return this.done;
    }

    /** Sends what the window (and `mayOpen`) allows. */
    pump() {
      if (!this.running) return;
      while (this.inFlight < this.window) {
        if (this.req >= this.maxFrames || performance.now() >= this.stopAt) {
          if (this.inFlight === 0) this.#finish(null);
          return;
        }
        if (!this.mayOpen()) return;
        if (this.frameMs > 0) {
          const due = this.startedAt + this.req * this.frameMs;
          const now = performance.now();
          if (now < due) {
            if (this.timer === null) this.timer = setTimeout(() => ((this.timer = null), this.pump()), Math.max(0, due - now - 0.5));
            return;
          }
        }
        this.#send();
      }
    }

    #send() {
      const req = ++this.req;
      const frame = this.frames[req % this.frames.length];
      frame.writeUInt32BE(req, 1);
      const now = performance.now();
      for (const p of this.valuePositions) frame.writeDoubleBE(now, p);
      this.sentAt.set(req, now);
      this.inFlight++;
      this.sentMessages += batch;
      this.counter.messages += batch;
      this.ws.send(frame, { binary: true });
    }

    #onMessage(data, isBinary) {
      if (isBinary) return;
      const message = JSON.parse(data.toString('utf8'));
      if (message.op === 'ack') {
        const sent = this.sentAt.get(message.req);
        if (sent === undefined) return this.#finish(new Error(`an ack for unknown req ${message.req}`));
        if (message.baseOffset !== undefined && message.lastOffset - message.baseOffset + 1 !== batch) {
          return this.#finish(
            new Error(`req ${message.req}: acknowledged offsets ${message.baseOffset}..${message.lastOffset} for ${batch} messages`),
          );
        }
        this.sentAt.delete(message.req);
        this.ackLatencies.push(performance.now() - sent);
        this.inFlight--;
        this.ackedMessages += batch;
        this.lastAckAt = performance.now();
        this.pump();
      } else if (message.op === 'error') {
        this.#finish(new Error(`broker error for req ${message.req}: ${message.code} ${message.message}`));
      }
    }

    #finish(error) {
      if (!this.running) return;
      this.running = false;
      if (this.timer !== null) clearTimeout(this.timer);
      this.finishedAt = this.lastAckAt ?? performance.now();
      if (error) this.reject(error);
      else this.resolve(this);
    }
  }

  /**
   * Receives batches: evq deliver frames (kind 'evq': checks that offsets follow each other from the
   * subscribed offset, no gap, no duplicate), evq sparse frames of a filtered subscription (`group` set:
   * checks that every offset is one of its group, offset % groups == group, and that they increase), or the
   * produce frames the baseline forwards (kind 'baseline': checks that req ids follow each other). Latency
   * of a batch = arrival - the send time in its first value, counted once per message of the batch.
   * `share` is the fraction of the topic's messages it should get (1, or 1/groups with a filter).
   */
  class Subscriber {
    constructor(ws, kind, group = null) {
      this.ws = ws;
      this.kind = kind;
      this.group = group;
      this.share = group === null ? 1 : 1 / groups;
      this.received = 0;
      this.batches = 0;
      this.gaps = 0;
      this.next = null;
      this.latencies = [];
      this.lastAt = 0;
      this.onProgress = () => {};
      this.closedEarly = false;
      /** @type {Error | undefined} set when the broker ends the subscription */
      this.error = undefined;
      ws.on('close', () => {
        this.closedEarly = true;
        this.onProgress();
      });
    }

    /** An evq subscription from latest; with `group` (0..groups-1) filtered by `value.g == group`. */
    static async evq(wsUrl, topic, id, group = null) {
      const ws = await open(wsUrl, [SUBPROTOCOL_BINARY]);
      if (ws.protocol !== SUBPROTOCOL_BINARY) throw new Error(`the broker did not accept the ${SUBPROTOCOL_BINARY} subprotocol`);
      const sub = new Subscriber(ws, 'evq', group);
      await new Promise((resolve, reject) => {
        ws.on('message', (data, isBinary) => {
          if (isBinary) return sub.#onBatch(data);
          const message = JSON.parse(data.toString('utf8'));
          if (message.op === 'subscribed' && message.sub === id) {
            sub.next = message.offset;
            resolve();
          } else if (message.op === 'error' || message.op === 'closed') {
            const error = new Error(`subscription ${id}: ${message.code} ${message.message}`);
            sub.error = error;
            reject(error);
          }
        });
        const request = { op: 'subscribe', sub: id, topic, from: 'latest' };
        if (group !== null) request.filter = `value.g == ${group}`;
        ws.send(JSON.stringify(request));
        setTimeout(() => reject(new Error(`subscription ${id} to "${topic}": no answer in 10 s`)), 10_000).unref();
      });
      return sub;
    }

    static async baseline(wsUrl) {
      const ws = await open(`${wsUrl}/sub`);
      const sub = new Subscriber(ws, 'baseline');
      sub.next = 1; // the producer's first req
      ws.on('message', (data, isBinary) => {
        if (isBinary) sub.#onBatch(data);
      });
      return sub;
    }

    #onBatch(data) {
      const now = performance.now();
      let batchBytes;
      let count;
      if (this.kind === 'evq' && this.group !== null) {
        if (data[0] === SPARSE) {
          count = data.readUInt32BE(5);
          for (let i = 0; i < count; i++) this.#filtered(data.readDoubleBE(9 + 8 * i));
          batchBytes = data.subarray(9 + 8 * count);
        } else if (data[0] === FRAME.deliver) {
          batchBytes = data.subarray(5);
          count = batchBytes.readUInt32BE(4);
          const base = batchBytes.readDoubleBE(16);
          for (let i = 0; i < count; i++) this.#filtered(base + i);
        } else {
          this.error ??= new Error(`unexpected binary frame kind ${data[0]}`);
          return;
        }
        if (batchBytes.readUInt32BE(4) !== count) this.error ??= new Error('a sparse frame whose batch count differs from its offsets');
      } else if (this.kind === 'evq') {
        if (data[0] !== FRAME.deliver) {
          this.error ??= new Error(`unexpected binary frame kind ${data[0]}`);
          return;
        }
        batchBytes = data.subarray(5);
        const base = batchBytes.readDoubleBE(16);
        if (base !== this.next) this.gaps++;
        count = batchBytes.readUInt32BE(4);
        this.next = base + count;
      } else {
        const req = data.readUInt32BE(1);
        if (req !== this.next) this.gaps++;
        this.next = req + 1;
        batchBytes = decodeProduceFrame(data).batch;
        count = batchBytes.readUInt32BE(4);
      }
      if (stamped) this.latencies.push(now - batchBytes.readDoubleBE(FIRST_VALUE), count);
      this.received += count;
      this.batches++;
      this.lastAt = now;
      this.onProgress();
    }

    /** One offset delivered to a filtered subscription: of its group, after the previous one. */
    #filtered(offset) {
      if (offset % groups !== this.group || offset < this.next) this.gaps++;
      this.next = offset + 1;
    }
  }

  /** `producers` producers on one topic for `seconds`: messages acknowledged per second. */
  async function produceRun(server, topic, producers, seconds = defaultSeconds) {
    const sockets = await Promise.all(Array.from({ length: producers }, () => open(server.wsUrl, [SUBPROTOCOL_BINARY])));
    const list = sockets.map((ws) => new Producer(ws, topic));
    const fsyncs0 = await metric(server, 'evq_fsync_seconds_count');
    const fsyncSeconds0 = await metric(server, 'evq_fsync_seconds_sum');
    const cpu = cpuMeter(server.pid);
    const start = performance.now();
    const stopAt = start + seconds * 1000;
    await Promise.all(list.map((p) => p.run({ stopAt })));
    const end = Math.max(...list.map((p) => p.finishedAt));
    const usage = cpu();
    const fsyncs = (await metric(server, 'evq_fsync_seconds_count')) - fsyncs0;
    const fsyncMs = fsyncs > 0 ? (((await metric(server, 'evq_fsync_seconds_sum')) - fsyncSeconds0) * 1000) / fsyncs : null;
    await Promise.all(sockets.map(closeSocket));
    const acked = list.reduce((n, p) => n + p.ackedMessages, 0);
    const frames = acked / batch;
    const acks = list.flatMap((p) => p.ackLatencies).sort((a, b) => a - b);
    return {
      producers,
      messages: acked,
      seconds: (end - start) / 1000,
      rate: acked / ((end - start) / 1000),
      ackP50: quantile(acks, 0.5),
      ackP99: quantile(acks, 0.99),
      fsyncs,
      framesPerFsync: fsyncs > 0 ? frames / fsyncs : null,
      fsyncMs,
      cpu: usage,
    };
  }

  /**
   * One producer and `count` subscribers (subscribed before producing; with `filtered`, subscriber i gets
   * the filter `value.g == i % groups`). The producer sends for `seconds` (or `maxFrames`) with at most
   * `window` frames in flight and never more than `lagFrames` frames ahead of the slowest subscriber; then
   * every subscriber must receive every acknowledged message (of its group). `rate` is messages delivered
   * per second over all subscribers; `fanoutRate` is messages published × subscribers per second (what the
   * broker matched against a subscription, delivered or filtered out). With `rate`, the producer keeps to
   * that many messages per second (the latency at a given load, not at full speed).
   */
  async function deliveryRun(
    server,
    kind,
    topic,
    count,
    { seconds = defaultSeconds, maxFrames = Infinity, window = defaultWindow, lagFrames = defaultLag, filtered = false, rate = 0 } = {},
  ) {
    if (filtered && (groups === 0 || kind !== 'evq')) throw new Error('a filtered run needs groups > 0 and evq');
    const subs = [];
    for (let i = 0; i < count; i++) {
      subs.push(
        kind === 'evq'
          ? await Subscriber.evq(server.wsUrl, topic, i + 1, filtered ? i % groups : null)
          : await Subscriber.baseline(server.wsUrl),
      );
    }
    const producerSocket = kind === 'evq' ? await open(server.wsUrl, [SUBPROTOCOL_BINARY]) : await open(`${server.wsUrl}/pub`);
    /** Messages of the topic the slowest subscriber has had (its own ones scaled by its share). */
    const slowest = () => {
      let min = Infinity;
      for (const s of subs) if (s.received / s.share < min) min = s.received / s.share;
      return min;
    };
    const producer = new Producer(producerSocket, topic, {
      window,
      rate,
      mayOpen: () => producer.sentMessages - slowest() < lagFrames * batch,
    });
    /** @type {(value?: unknown) => void} */
    let wake = () => {};
    for (const s of subs) {
      s.onProgress = () => {
        producer.pump();
        wake();
      };
    }
    const cpu = cpuMeter(server.pid);
    const start = performance.now();
    await producer.run({ stopAt: start + seconds * 1000, maxFrames });
    const expected = producer.ackedMessages;
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    while (slowest() < expected && subs.every((s) => !s.closedEarly) && performance.now() < deadline) {
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const end = Math.max(start + 1, ...subs.map((s) => s.lastAt));
    const usage = cpu();
    await Promise.all([producerSocket, ...subs.map((s) => s.ws)].map(closeSocket));
    const delivered = subs.reduce((n, s) => n + s.received, 0);
    const wanted = subs.reduce((n, s) => n + Math.round(expected * s.share), 0);
    const lat = weightedPercentiles(subs.map((s) => s.latencies));
    const secs = (end - start) / 1000;
    return {
      subscribers: count,
      filtered,
      published: expected,
      delivered,
      lost: wanted - delivered,
      gaps: subs.reduce((n, s) => n + s.gaps, 0),
      seconds: secs,
      rate: delivered / secs,
      fanoutRate: (expected * count) / secs,
      publishRate: expected / secs,
      p50: lat.p50,
      p99: lat.p99,
      p999: lat.p999,
      max: lat.max,
      cpu: usage,
      errors: subs.filter((s) => s.error).map((s) => s.error.message),
    };
  }

  /**
   * `topics` topics, each with `producers` producers and `subscribers` subscribers of its own (evq only):
   * the scale curves. Every producer sends at full speed for `seconds`, at most `window` frames in flight
   * and its topic never more than `lagFrames` frames ahead of the topic's slowest subscriber (both spread
   * over the producers and topics, so that the messages in flight stay about the same at every size); then
   * each subscriber must receive everything acknowledged on its topic. `rate` is deliveries per second over
   * all subscribers, `publishRate` acknowledged messages per second; p50/p99 the delivery latency.
   */
  async function scaleRun(
    server,
    name,
    { topics = 1, producers = 1, subscribers = 1, seconds = defaultSeconds, window = defaultWindow, lagFrames = defaultLag } = {},
  ) {
    const perProducer = Math.max(1, Math.floor(window / (topics * producers)));
    // the deliveries queued stay about the same at every size: fewer frames ahead with more subscribers
    const perTopicLag = Math.max(2, Math.floor(lagFrames / (topics * subscribers))) * batch;
    /** @type {(value?: unknown) => void} */
    let wake = () => {};
    /** @type {{ subs: Subscriber[], producers: Producer[], expected: () => number }[]} */
    const groups = [];
    let id = 0;
    for (let t = 0; t < topics; t++) {
      const topic = topics === 1 ? name : `${name}-${t}`;
      /** @type {Subscriber[]} */
      const subs = [];
      for (let i = 0; i < subscribers; i++) subs.push(await Subscriber.evq(server.wsUrl, topic, ++id));
      /** @type {Producer[]} */
      const list = [];
      const slowest = () => {
        let min = Infinity;
        for (const s of subs) if (s.received < min) min = s.received;
        return min;
      };
      // what the topic's producers sent, counted as they send (not summed over 1,000 producers per frame),
      // and the producers held back by the slowest subscriber: only those are pumped when it moves on
      const topicSent = { messages: 0 };
      /** @type {Set<Producer>} */
      const held = new Set();
      for (let i = 0; i < producers; i++) {
        const ws = await open(server.wsUrl, [SUBPROTOCOL_BINARY]);
        /** @type {Producer} */
        const producer = new Producer(ws, topic, {
          window: perProducer,
          counter: topicSent,
          mayOpen: () => {
            if (topicSent.messages - slowest() < perTopicLag) return true;
            held.add(producer);
            return false;
          },
        });
        list.push(producer);
      }
      for (const s of subs) {
        s.onProgress = () => {
          if (held.size === 0) return wake();
          const waiting = [...held];
          held.clear();
          for (const p of waiting) p.pump();
          wake();
        };
      }
      groups.push({ subs, producers: list, expected: () => list.reduce((n, p) => n + p.ackedMessages, 0) });
    }
    const all = groups.flatMap((g) => g.subs);
    const cpu = cpuMeter(server.pid);
    const start = performance.now();
    const stopAt = start + seconds * 1000;
    await Promise.all(groups.flatMap((g) => g.producers.map((p) => p.run({ stopAt }))));
    const caughtUp = () => groups.every((g) => g.subs.every((s) => s.received >= g.expected()));
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    while (!caughtUp() && all.every((s) => !s.closedEarly) && performance.now() < deadline) {
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const end = Math.max(start + 1, ...all.map((s) => s.lastAt));
    const usage = cpu();
    await Promise.all([...groups.flatMap((g) => g.producers.map((p) => p.ws)), ...all.map((s) => s.ws)].map(closeSocket));
    const published = groups.reduce((n, g) => n + g.expected(), 0);
    const delivered = all.reduce((n, s) => n + s.received, 0);
    const wanted = groups.reduce((n, g) => n + g.expected() * g.subs.length, 0);
    const lat = weightedPercentiles(all.map((s) => s.latencies));
    const secs = (end - start) / 1000;
    return {
      topics,
      producers: topics * producers,
      subscribers: all.length,
      published,
      delivered,
      lost: wanted - delivered,
      gaps: all.reduce((n, s) => n + s.gaps, 0),
      seconds: secs,
      rate: delivered / secs,
      publishRate: published / secs,
      p50: lat.p50,
      p99: lat.p99,
      max: lat.max,
      cpu: usage,
      errors: all.filter((s) => s.error).map((s) => s.error.message),
    };
  }

  /** A short untimed run, so that the server's hot paths are compiled before anything is measured. */
  async function warmUp(server, kind, { produce = kind === 'evq', filtered = false } = {}) {
    if (produce) await produceRun(server, 'warmup-produce', 2, WARMUP_MS / 1000);
    await deliveryRun(server, kind, `warmup-delivery${filtered ? '-filtered' : ''}`, 2, { seconds: WARMUP_MS / 1000, filtered });
  }

  return { batch, valueBytes, groups, produceRun, deliveryRun, scaleRun, warmUp };
}
