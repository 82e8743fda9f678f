/**
 * Durability of `evq serve` as a user sees it: kill -9 while producers are acknowledged, a torn tail of the
 * last segment, a flipped bit in a sealed segment, group offsets and delayed messages across kill -9.
 * Spawns `bin/evq.js serve` from `dist/` (`npm run build` first).
 */
import { appendFile, cp, open, readFile, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/server.js';
import { formatSize } from '../../src/core/sizes.js';
import { encodeBatch } from '../../src/protocol/batch-encode.js';
import { SUBPROTOCOL_BINARY, encodeProduceFrame } from '../../src/protocol/ws-frames.js';
import { getJson, jsonOf, postBatch, postMessage, readAll } from '../helpers/broker.js';
import {
  killSpawned,
  makeTempDir,
  removeTempDirs,
  seededRandom,
  spawnBroker,
  testSeed,
  type SpawnedBroker,
} from '../helpers/spawn-broker.js';
import { waitFor } from '../helpers/wait.js';
import { WsTestClient } from '../helpers/ws-client.js';

const FIRST_SEGMENT = '00000000000000000000.log';
const clients: WsTestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await killSpawned();
  await removeTempDirs();
});

// ------------------------------------------------------------------------------------------ shared helpers

/** Every record of `topic` from offset 0 to its end, read in pages; checks the offsets run 0..end-1. */
async function readWholeTopic(url: string, topic: string): Promise<{ endOffset: number; values: string[] }> {
  const info = await getJson(`${url}/topics/${topic}`);
  const endOffset = info.endOffset as number;
  const values: string[] = [];
  while (values.length < endOffset) {
    const read = await readAll(url, topic, `?from=${values.length}&limit=10000`);
    expect(read.status, read.body.slice(0, 300)).toBe(200);
    expect(read.records.length).toBeGreaterThan(0);
    for (const r of read.records) {
      // in order, no gap, no duplicate (checked without an expect per record: there are tens of thousands)
      if (r.offset !== values.length) expect(r.offset, 'records out of order').toBe(values.length);
      values.push(r.value as string);
    }
  }
  expect(values).toHaveLength(endOffset);
  return { endOffset, values };
}

interface Frame {
  position: number;
  end: number;
  baseOffset: number;
  count: number;
}

/** The frames of a segment file (12-byte frame header, then the batch: count at 4, base offset at 16). */
function framesOf(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let position = 0;
  while (position + 12 <= bytes.length) {
    expect(bytes.readUInt32BE(position)).toBe(0x45565131); // "EVQ1"
    const length = bytes.readUInt32BE(position + 4);
    const payload = position + 12;
    frames.push({ position, end: payload + length, baseOffset: bytes.readDoubleBE(payload + 16), count: bytes.readUInt32BE(payload + 4) });
    position = payload + length;
  }
  expect(position).toBe(bytes.length);
  return frames;
}

async function stopCleanly(broker: SpawnedBroker): Promise<void> {
  broker.kill('SIGTERM');
  const exit = await broker.exited;
  expect(exit, broker.stderr()).toEqual({ code: 0, signal: null });
}

// ---------------------------------------------------------------------------------------- kill -9 cycles

interface SentBatch {
  id: string;
  /** The producer (in its cycle) that sent it, and its place in that producer's sequence. */
  stream: string;
  seq: number;
  values: string[];
  acked: boolean;
  /** Offset of the first record, once known (from the ack, or found in the log after a restart). */
  baseOffset: number | null;
}

const BATCH = 100;
const PER_PRODUCER = 5000; // 4 producers: 20,000 messages planned per cycle

function makeBatch(cycle: number, producer: number, index: number, random: () => number): SentBatch {
  const id = `c${cycle}p${producer}b${index}`;
  const values = Array.from({ length: BATCH }, (_, i) => `${id}i${i}:${'x'.repeat(Math.floor(random() * 64))}`);
  return { id, stream: `c${cycle}p${producer}`, seq: index, values, acked: false, baseOffset: null };
}

/** Sequential NDJSON batches over HTTP until the plan is done or `stop()`. */
async function httpProducer(
  url: string,
  topic: string,
  batches: SentBatch[],
  stop: () => boolean,
  onAck: (b: SentBatch) => void,
  errors: string[],
): Promise<void> {
  for (const batch of batches) {
    if (stop()) return;
    let res: { status: number; json: any };
    try {
      res = await postBatch(url, topic, batch.values);
    } catch (err) {
      if (!stop()) errors.push(`HTTP produce failed while the broker was up: ${String(err)}`);
      return; // the broker is gone: this batch's fate is unknown
    }
    if (res.status !== 201) {
      errors.push(`HTTP produce answered ${res.status} ${JSON.stringify(res.json)}`);
      return;
    }
    batch.acked = true;
    batch.baseOffset = res.json.baseOffset;
    onAck(batch);
  }
}

/** Binary produce frames over one WebSocket, `window` in flight, until the plan is done or `stop()`. */
async function wsProducer(
  url: string,
  topic: string,
  batches: SentBatch[],
  window: number,
  stop: () => boolean,
  onAck: (b: SentBatch) => void,
  errors: string[],
): Promise<void> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, [SUBPROTOCOL_BINARY]);
  ws.on('error', () => undefined); // a reset when the broker is killed: seen as 'close'
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
  });
  if (!opened) {
    if (!stop()) errors.push('the WebSocket closed before it opened while the broker was up');
    return;
  }
  const pending = new Map<number, SentBatch>();
  let next = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (!stop() && pending.size < window && next < batches.length) {
        const batch = batches[next] as SentBatch;
        const req = next++;
        pending.set(req, batch);
        const encoded = encodeBatch(
          0,
          batch.values.map((value) => ({ value, timestamp: 0 })),
        );
        ws.send(encodeProduceFrame({ req, topic, gzip: false, dueAt: 0, idempotencyKey: null }, encoded));
      }
      if (pending.size === 0 && (stop() || next === batches.length)) ws.close();
    };
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString('utf8'));
      const batch = pending.get(msg.req);
      if (batch === undefined) return;
      pending.delete(msg.req);
      if (msg.op === 'ack') {
        batch.acked = true;
        batch.baseOffset = msg.baseOffset;
        onAck(batch);
      } else errors.push(`WebSocket produce answered ${data.toString('utf8')}`);
      pump();
    });
    ws.once('close', () => resolve());
    pump();
  });
}

/**
 * Checks the log after a restart against everything ever sent: offsets 0..end-1 all there; every
 * acknowledged batch at its offsets with its exact values; every batch whole or absent, at most once; and
 * what was found present after an earlier restart still there.
 */
async function verifyLog(url: string, topic: string, sent: SentBatch[], seed: number): Promise<number> {
  const { endOffset, values } = await readWholeTopic(url, topic);
  const problems: string[] = [];
  const problem = (text: string): void => void (problems.length < 20 && problems.push(text));
  const where = new Map<string, { batch: SentBatch; index: number }>();
  for (const batch of sent) batch.values.forEach((value, index) => where.set(value, { batch, index }));
  const foundAt = new Map<SentBatch, number>();
  for (let offset = 0; offset < values.length; offset++) {
    const hit = where.get(values[offset] as string);
    if (hit === undefined) {
      problem(`unknown record at offset ${offset}: ${values[offset]}`);
      continue;
    }
    const { batch, index } = hit;
    if (index === 0) {
      if (foundAt.has(batch)) problem(`batch ${batch.id} appears twice`);
      foundAt.set(batch, offset);
    }
    // the batch is whole and contiguous: record i sits at its first offset + i
    if (foundAt.get(batch) !== offset - index)
      problem(`${batch.id} record ${index} at offset ${offset}, its batch at ${foundAt.get(batch)}`);
  }
  let acked = 0;
  for (const batch of sent) {
    const at = foundAt.get(batch);
    // acknowledged (or seen after an earlier restart): it must be there, at the same offsets
    if ((batch.acked || batch.baseOffset !== null) && at !== batch.baseOffset) {
      problem(`batch ${batch.id} (acked: ${batch.acked}) was at ${batch.baseOffset}, now ${at}`);
    }
    if (at !== undefined) {
      if (at + batch.values.length > endOffset) problem(`batch ${batch.id} cut short`);
      batch.baseOffset = at;
    }
    if (batch.acked) acked += batch.values.length;
  }
  // each producer's batches were appended in the order it sent them: what survived is a prefix of them
  const last = new Map<string, number | undefined>();
  for (const batch of sent) {
    const at = foundAt.get(batch);
    if (last.has(batch.stream) && at !== undefined) {
      const before = last.get(batch.stream);
      if (before === undefined || before > at)
        problem(`${batch.id} survived at ${at} after an earlier batch of ${batch.stream} at ${before}`);
    }
    last.set(batch.stream, at);
  }
  expect(problems, `seed ${seed} (set EVQ_E2E_SEED=${seed} to replay the same kill points)`).toEqual([]);
  expect(endOffset).toBeGreaterThanOrEqual(acked);
  return endOffset;
}

describe('kill -9 during produce (--fsync always)', () => {
  it('keeps every acknowledged message, exactly and in order, over 5 kill/restart cycles', { timeout: 120_000 }, async () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    const dir = await makeTempDir();
    const topic = 'durable';
    const sent: SentBatch[] = [];
    let totalAcked = 0;
    let broker = await spawnBroker(dir, { args: ['--fsync', 'always'] });

    for (let cycle = 0; cycle < 5; cycle++) {
      const plans = Array.from({ length: 4 }, (_, p) =>
        Array.from({ length: PER_PRODUCER / BATCH }, (_, b) => makeBatch(cycle, p, b, random)),
      );
      for (const plan of plans) sent.push(...plan);
      // at a random point between 4,000 and 19,000 acknowledged messages: at least 20,000 over the 5 cycles
      const killAfter = 4000 + Math.floor(random() * 15_000);
      let ackedThisCycle = 0;
      let killed = false;
      const victim = broker;
      const onAck = (batch: SentBatch): void => {
        ackedThisCycle += batch.values.length;
        if (!killed && ackedThisCycle >= killAfter) {
          killed = true;
          victim.kill('SIGKILL');
        }
      };
      const stop = (): boolean => killed;
      const errors: string[] = [];
      await Promise.all([
        httpProducer(victim.url, topic, plans[0]!, stop, onAck, errors),
        httpProducer(victim.url, topic, plans[1]!, stop, onAck, errors),
        wsProducer(victim.url, topic, plans[2]!, 4, stop, onAck, errors),
        wsProducer(victim.url, topic, plans[3]!, 4, stop, onAck, errors),
      ]);
      expect(errors, `seed ${seed}`).toEqual([]);
      expect(killed, `seed ${seed}: the producers finished before ${killAfter} acks`).toBe(true);
      expect((await victim.exited).signal).toBe('SIGKILL');
      totalAcked += ackedThisCycle;

      broker = await spawnBroker(dir, { args: ['--fsync', 'always'] });
      const end = await verifyLog(broker.url, topic, sent, seed);
      // the restarted broker appends at the next offset
      const probe: SentBatch = {
        id: `probe${cycle}`,
        stream: `probe${cycle}`,
        seq: 0,
        values: [`probe${cycle}`],
        acked: false,
        baseOffset: null,
      };
      const res = await postBatch(broker.url, topic, probe.values);
      expect(res.status).toBe(201);
      expect(res.json.baseOffset, `seed ${seed}`).toBe(end);
      probe.acked = true;
      probe.baseOffset = end;
      sent.push(probe);
    }
    expect(totalAcked).toBeGreaterThanOrEqual(20_000);
    await stopCleanly(broker);
  });
});

// ------------------------------------------------------------------------------------------------ torn tail

describe('a torn tail of the last segment', () => {
  it('is cut at start, said on stderr, the prefix kept, and the next append gets the next offset', { timeout: 60_000 }, async () => {
    const random = seededRandom(20_251_123); // fixed garbage: the same bytes every run
    const topic = 'torn';
    const clean = await makeTempDir();
    const first = await spawnBroker(clean);
    const sizes = [3, 10, 1, 7, 4];
    let total = 0;
    for (const size of sizes) {
      const res = await postBatch(
        first.url,
        topic,
        Array.from({ length: size }, (_, i) => `v${total + i}`),
      );
      expect(res.json.baseOffset).toBe(total);
      total += size;
    }
    await stopCleanly(first);
    const original = await readFile(join(clean, 'topics', topic, FIRST_SEGMENT));
    const frames = framesOf(original);
    expect(frames).toHaveLength(sizes.length);
    const last = frames.at(-1)!;
    expect(last).toMatchObject({ baseOffset: total - 4, count: 4 });
    const kept = last.baseOffset; // offsets before the last batch

    /** A copy of the clean data dir with its segment file changed by `damage`; checks what `evq serve` does with it. */
    const check = async (
      what: string,
      damage: (file: string) => Promise<void>,
      expected: { position: number; bytes: number; firstDropped: number; survivors: number },
    ): Promise<void> => {
      const dir = await makeTempDir();
      await cp(clean, dir, { recursive: true });
      const file = join(dir, 'topics', topic, FIRST_SEGMENT);
      await damage(file);
      const broker = await spawnBroker(dir);
      const stderr = broker.stderr();
      const line = stderr.split('\n').find((l) => l.includes('torn tail'));
      expect(line, `${what}: stderr was ${stderr}`).toBeDefined();
      expect(line).toContain(`topic "${topic}"`);
      expect(line).toContain(`at byte ${expected.position} of ${file}`);
      expect(line).toContain(`cut a torn tail of ${formatSize(expected.bytes)} `);
      expect(line).toMatch(new RegExp(`offsets? (from offset )?${expected.firstDropped}\\b`));
      // the prefix is intact
      const { endOffset, values } = await readWholeTopic(broker.url, topic);
      expect(endOffset, what).toBe(expected.survivors);
      expect(values).toEqual(Array.from({ length: expected.survivors }, (_, i) => `v${i}`));
      // the next append gets the next offset, and reads back
      const res = await postMessage(broker.url, topic, `after-${what}`);
      expect(res.status).toBe(201);
      expect(res.json.offset, what).toBe(expected.survivors);
      const after = await readAll(broker.url, topic, `?from=${expected.survivors}`);
      expect(after.records.map((r) => r.value)).toEqual([`after-${what}`]);
      await stopCleanly(broker);
    };

    // cut inside the last batch: in its frame header, in its batch header, in its last record
    for (const cut of [last.position + 5, last.position + 12 + 30, last.end - 1]) {
      await check(`cut at ${cut}`, (file) => truncate(file, cut), {
        position: last.position,
        bytes: cut - last.position,
        firstDropped: kept,
        survivors: kept,
      });
    }
    // garbage after the last batch: random bytes, zeros (a preallocated tail), the last frame written again
    const garbage: [string, Buffer][] = [
      ['random bytes', Buffer.from(Array.from({ length: 37 }, () => Math.floor(random() * 256)))],
      ['zeros', Buffer.alloc(4096)],
      ['a replayed frame', original.subarray(last.position, last.end)],
    ];
    for (const [what, bytes] of garbage) {
      await check(what, (file) => appendFile(file, bytes), {
        position: original.length,
        bytes: bytes.length,
        firstDropped: total,
        survivors: total,
      });
    }
  });
});

// ------------------------------------------------------------------------------------- bit flip, sealed

describe('a flipped bit in a sealed segment', () => {
  const topic = 'flip';
  const TOTAL = 300;
  const valueOf = (offset: number): string => `r${offset}:${'y'.repeat(80 + (offset % 7))}`;

  /** A data dir whose topic has several segments (written in-process with 4 KiB segments), and one damaged batch. */
  async function damagedDir(): Promise<{ dir: string; file: string; indexFile: string; position: number; from: number; to: number }> {
    const dir = await makeTempDir();
    const writer = await startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, segmentBytes: 4096 });
    try {
      for (let offset = 0; offset < TOTAL; offset += 5) {
        const res = await postBatch(
          writer.url,
          topic,
          Array.from({ length: 5 }, (_, i) => valueOf(offset + i)),
        );
        expect(res.json.baseOffset).toBe(offset);
      }
    } finally {
      await writer.close();
    }
    const topicDir = join(dir, 'topics', topic);
    const logs = (await readdir(topicDir)).filter((n) => n.endsWith('.log')).sort();
    expect(logs.length).toBeGreaterThanOrEqual(4);
    // the second segment: sealed, neither the first nor the last
    const name = logs[1] as string;
    const file = join(topicDir, name);
    const frames = framesOf(await readFile(file));
    expect(frames.length).toBeGreaterThanOrEqual(3);
    const victim = frames[1] as Frame;
    // one bit in the middle of the batch's payload (a record's value)
    const position = Math.floor((victim.position + 12 + 40 + victim.end) / 2);
    const handle = await open(file, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, position);
      byte[0] = (byte[0] as number) ^ 0x10;
      await handle.write(byte, 0, 1, position);
    } finally {
      await handle.close();
    }
    return {
      dir,
      file,
      indexFile: file.replace(/\.log$/, '.index'),
      position: victim.position,
      from: victim.baseOffset,
      to: victim.baseOffset + victim.count - 1,
    };
  }

  /** What a user sees with a damaged range from..to: reads around it work, reads of it fail clearly, nothing cut. */
  async function checkReads(broker: SpawnedBroker, damage: { file: string; position: number; from: number; to: number }): Promise<void> {
    const info = await getJson(`${broker.url}/topics/${topic}`);
    expect(info).toMatchObject({ startOffset: 0, endOffset: TOTAL }); // nothing silently truncated

    // what lies before the damage reads as written (with a limit that stops before it: see the test below)
    const before = await readAll(broker.url, topic, `?from=0&limit=${damage.from}`);
    expect(before.status, before.body).toBe(200);
    expect(before.records.map((r) => r.offset)).toEqual(Array.from({ length: damage.from }, (_, i) => i));
    expect(before.records.map((r) => r.value)).toEqual(Array.from({ length: damage.from }, (_, i) => valueOf(i)));

    // a read of the damaged range fails with EVQ_ERR_CORRUPT_LOG, naming the file, the byte and the offsets
    for (const from of [damage.from, damage.to]) {
      const res = await fetch(`${broker.url}/topics/${topic}/messages?from=${from}`);
      expect(res.status).toBe(500);
      const body = await jsonOf(res);
      expect(body.error.code).toBe('EVQ_ERR_CORRUPT_LOG');
      expect(body.error.message).toContain(damage.file);
      expect(body.error.message).toContain(`byte ${damage.position}`);
      expect(body.error.message).toContain(`offsets ${damage.from}-${damage.to}`);
    }

    // the rest of the topic reads as it was written
    const after = await readAll(broker.url, topic, `?from=${damage.to + 1}&limit=10000`);
    expect(after.status).toBe(200);
    expect(after.records.map((r) => r.value)).toEqual(Array.from({ length: TOTAL - damage.to - 1 }, (_, i) => valueOf(damage.to + 1 + i)));

    // and the log takes appends at its end
    const res = await postMessage(broker.url, topic, 'after the damage');
    expect(res.json.offset).toBe(TOTAL);
  }

  it(
    'with its index intact: found by the first read, which fails with EVQ_ERR_CORRUPT_LOG; the rest stays readable',
    { timeout: 60_000 },
    async () => {
      const damage = await damagedDir();
      const broker = await spawnBroker(damage.dir);
      // a sealed segment whose index matches it is not scanned at start (recovery.ts): nothing to say yet
      expect(broker.stderr()).not.toMatch(/torn tail/);
      await checkReads(broker, damage);

      // a subscriber from the start gets the records before the damage, then is told why it ends
      const client = await WsTestClient.connect(broker.url);
      clients.push(client);
      client.subscribe(1, topic, { from: 'earliest' });
      await client.until(() => client.controls.some((c) => c.op === 'closed'), 10_000, 'the closed frame');
      expect(client.received(1).map((r) => r.offset)).toEqual(Array.from({ length: damage.from }, (_, i) => i));
      expect(client.controls.find((c) => c.op === 'closed')).toMatchObject({ sub: 1, code: 'EVQ_ERR_CORRUPT_LOG' });
      await stopCleanly(broker);
    },
  );

  // A consumer reading from 0 gets the good records before the damage, with evq-next-offset at the damage;
  // only the read that starts in the damaged range fails.
  it('a read from the start returns the records before the damage, then the next read fails', { timeout: 60_000 }, async () => {
    const damage = await damagedDir();
    const broker = await spawnBroker(damage.dir);
    const before = await readAll(broker.url, topic, '?from=0&limit=1000');
    expect(before.status, before.body).toBe(200);
    expect(before.records.map((r) => r.value)).toEqual(Array.from({ length: damage.from }, (_, i) => valueOf(i)));
    expect(before.next).toBe(damage.from);
    const at = await readAll(broker.url, topic, `?from=${before.next}`);
    expect(at.status).toBe(500);
    await stopCleanly(broker);
  });

  // Damage that no start-up scan saw (the segment's index was intact) is told to the operator on stderr when
  // a read (or the start-up idempotency scan) meets it: file, byte and offsets, not only the client's 500.
  it("damage found by a read is reported on the broker's stderr", { timeout: 60_000 }, async () => {
    const damage = await damagedDir();
    const broker = await spawnBroker(damage.dir);
    expect((await readAll(broker.url, topic, `?from=${damage.from}`)).status).toBe(500);
    await waitFor(() => broker.stderr().includes(damage.file) && broker.stderr().includes(`${damage.from}`), {
      timeoutMs: 3000,
      what: () => `a report on stderr naming ${damage.file} and offset ${damage.from}; stderr: ${broker.stderr()}`,
    });
    await stopCleanly(broker);
  });

  it('with its index gone: reported on stderr at start (file, byte, offsets); reads behave the same', { timeout: 60_000 }, async () => {
    const damage = await damagedDir();
    await rm(damage.indexFile);
    const broker = await spawnBroker(damage.dir);
    const line = broker
      .stderr()
      .split('\n')
      .find((l) => l.includes('damaged'));
    expect(line, broker.stderr()).toBeDefined();
    expect(line).toContain(`topic "${topic}"`);
    expect(line).toContain(`damaged data in ${damage.file} at byte ${damage.position}`);
    expect(line).toContain(`offsets ${damage.from}..${damage.to} cannot be read`);
    expect(broker.stderr()).not.toMatch(/torn tail/);
    await checkReads(broker, damage);
    await stopCleanly(broker);
  });
});

// ------------------------------------------------------------------------------ groups and delayed, kill -9

describe('group offsets and delayed messages across kill -9', () => {
  it(
    'keeps a committed offset and every delayed message; a delayed message appears once, never before it is due',
    { timeout: 60_000 },
    async () => {
      const dir = await makeTempDir();
      const topic = 'later';
      let broker = await spawnBroker(dir, { args: ['--fsync', 'always'] });
      const now = (): number => Date.now(); // the broker runs on this machine's clock
      expect(
        (
          await postBatch(
            broker.url,
            topic,
            Array.from({ length: 10 }, (_, i) => `now-${i}`),
          )
        ).status,
      ).toBe(201);

      // an acknowledged commit is durable
      const commit = await fetch(`${broker.url}/topics/${topic}/groups/billing/commit`, {
        method: 'POST',
        body: JSON.stringify({ offset: 7 }),
        headers: { 'content-type': 'application/json' },
      });
      expect(commit.status).toBe(200);
      expect((await jsonOf(commit)).committed).toBe(7);

      // delayed messages, acknowledged with 202: three due in 3 s, one due far later
      interface Delayed {
        value: string;
        sentAt: number;
        repliedAt: number;
        dueAt: number;
      }
      const delayed: Delayed[] = [];
      for (const [value, delay] of [
        ['d-0', '3s'],
        ['d-1', '3s'],
        ['d-2', '3100ms'],
        ['d-far', '1h'],
      ] as const) {
        const sentAt = now();
        const res = await postMessage(broker.url, topic, value, { 'evq-delay': delay });
        const repliedAt = now();
        expect(res.status).toBe(202);
        expect(res.json).toMatchObject({ topic, delayed: true, count: 1 });
        delayed.push({ value, sentAt, repliedAt, dueAt: res.json.dueAt });
      }
      const soon = delayed.filter((d) => d.value !== 'd-far');

      broker.kill('SIGKILL');
      expect((await broker.exited).signal).toBe('SIGKILL');
      broker = await spawnBroker(dir, { args: ['--fsync', 'always'] });

      const group = await getJson(`${broker.url}/topics/${topic}/groups/billing`);
      expect(group.committed).toBe(7);
      // every delayed message is either still waiting or already appended (the restart may have been slow)
      const pending = Number(/^evq_delayed_pending(?:\{\})? (\d+)$/m.exec(await (await fetch(`${broker.url}/metrics`)).text())?.[1]);
      expect(pending).toBeGreaterThanOrEqual(1);
      expect(pending).toBeLessThanOrEqual(4);

      // poll the topic: a delayed message is absent while it is not due (when the restart was quicker than
      // the delay, which it is unless the machine is very busy), present once from then on
      const lastDue = Math.max(...soon.map((d) => d.dueAt));
      let seen: any[] = [];
      await waitFor(
        async () => {
          const read = await readAll(broker.url, topic, '?from=10&limit=100');
          const answeredAt = now(); // the broker read the log before this: a message due later must be absent
          expect(read.status).toBe(200);
          seen = read.records;
          for (const d of soon) {
            const copies = read.records.filter((r) => r.value === d.value);
            expect(copies.length, d.value).toBeLessThanOrEqual(1);
            if (answeredAt < d.dueAt) {
              expect(copies, `${d.value} read ${d.dueAt - answeredAt} ms before it was due`).toEqual([]);
            }
          }
          return soon.every((d) => read.records.some((r) => r.value === d.value));
        },
        { timeoutMs: 20_000, what: 'the delayed messages', everyMs: 100 },
      );
      expect(now()).toBeGreaterThanOrEqual(lastDue);
      expect(seen.map((r) => r.value).sort()).toEqual(soon.map((d) => d.value).sort()); // nothing else (not d-far)
      expect(seen.map((r) => r.offset)).toEqual(soon.map((_, i) => 10 + i));
      for (const record of seen) {
        const d = soon.find((x) => x.value === record.value)!;
        expect(record.timestamp, d.value).toBeGreaterThanOrEqual(d.dueAt);
        const producedAt = Number(record.headers?.['evq-produced-at']);
        expect(producedAt).toBeGreaterThanOrEqual(d.sentAt);
        expect(producedAt).toBeLessThanOrEqual(d.repliedAt);
        expect(d.dueAt - d.sentAt).toBeGreaterThanOrEqual(d.value === 'd-2' ? 3100 : 3000);
      }

      // after a clean restart: still exactly once each (the journal marked them done), d-far still pending
      await stopCleanly(broker);
      broker = await spawnBroker(dir);
      const { values } = await readWholeTopic(broker.url, topic);
      expect(values.slice(10).sort()).toEqual(soon.map((d) => d.value).sort());
      expect(await getJson(`${broker.url}/topics/${topic}/groups/billing`)).toMatchObject({ committed: 7 });
      expect(await (await fetch(`${broker.url}/metrics`)).text()).toMatch(/^evq_delayed_pending(\{\})? 1$/m);
      await stopCleanly(broker);
    },
  );
});
