// Disk errors under a running broker: ENOSPC and EIO injected on writes and fsyncs of the topic logs, the
// group table and the delay journal. What failed is answered with a clear EVQ_ERR_STORAGE (HTTP 507) and
// acknowledged to no one; reads keep working while the disk fails; once the fault clears, appends work again
// without a restart; and data covered by a failed fsync is never acknowledged or read later (fsyncgate).
import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../src/broker/server.js';
import { FaultFileIO } from './fault-file-io.js';
import { makeTempDir, postBatch, readAll } from '../../helpers/broker.js';
import type { Op } from './fault-file-io.js';
import { toConsumePlan, type ConsumeFlags } from '../../../src/cli/commands/consume.js';
import { connectTo, type CliEnv } from '../../../src/cli/connection.js';
import { exitCodeFor } from '../../../src/cli/main.js';
import { runConsume } from '../../../src/cli/run-consume.js';
import { captureOutput, parsePlan } from '../../helpers/cli.js';

let dataDir: string;
let io: FaultFileIO;
const running: Broker[] = [];

beforeEach(async () => {
  dataDir = await makeTempDir('evq-disk-');
  io = new FaultFileIO();
});
afterEach(async () => {
  io.clear();
  for (const broker of running.splice(0)) await broker.close().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

async function start(fsync: 'always' | 'interval' = 'always', withFaults = true): Promise<Broker> {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, fsync, ...(withFaults ? { io } : {}) });
  running.push(broker);
  return broker;
}

const isTopicLog = (topic: string) => (path: string) => path.includes(`/topics/${topic}/`) && path.endsWith('.log');

async function values(url: string, topic: string): Promise<string[]> {
  const { status, records } = await readAll(url, topic, '?from=0&limit=1000');
  expect(status).toBe(200);
  return records.map((r: { value: string }) => r.value);
}

describe('disk errors under a broker', () => {
  for (const [op, code] of [
    ['write', 'ENOSPC'],
    ['write', 'EIO'],
    ['sync', 'EIO'],
    ['sync', 'ENOSPC'],
  ] as [Op, string][]) {
    it(`${code} on ${op}: 507 with a clear line, reads keep working, appends work again once it clears`, async () => {
      const broker = await start();
      expect((await postBatch(broker.url, 't', ['a', 'b'])).status).toBe(201);
      io.fail(op, code, { match: isTopicLog('t'), times: Number.POSITIVE_INFINITY });
      for (let i = 0; i < 3; i++) {
        const res = await postBatch(broker.url, 't', [`bad-${i}`]);
        expect(res.status).toBe(507);
        expect(res.json.error.code).toBe('EVQ_ERR_STORAGE');
        expect(res.json.error.message).toContain(code);
        expect(res.json.error.message).not.toContain('\n');
        // reads keep working during the fault, and show only what was acknowledged
        expect(await values(broker.url, 't')).toEqual(['a', 'b']);
      }
      // other topics on healthy files are not affected
      expect((await postBatch(broker.url, 'other', ['fine'])).status).toBe(201);
      io.clear();
      const after = await postBatch(broker.url, 't', ['c']);
      expect(after.status).toBe(201);
      expect(after.json.baseOffset).toBe(2);
      expect(await values(broker.url, 't')).toEqual(['a', 'b', 'c']);
      // and it is all there after a restart
      await broker.close();
      running.splice(0);
      const again = await start('always', false);
      expect(await values(again.url, 't')).toEqual(['a', 'b', 'c']);
    });
  }

  it('fsyncgate: data covered by a failed fsync is never acknowledged, not even after a later fsync works', async () => {
    const broker = await start();
    expect((await postBatch(broker.url, 't', ['before'])).status).toBe(201);
    // one fsync fails; 20 producers are writing around it
    io.fail('sync', 'EIO', { match: isTopicLog('t'), times: 1 });
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, p) => {
        const batch = [`p${p}-0`, `p${p}-1`];
        const res = await postBatch(broker.url, 't', batch);
        return { batch, status: res.status, json: res.json };
      }),
    );
    const failed = results.filter((r) => r.status !== 201);
    const acked = results.filter((r) => r.status === 201);
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect(r.json.error.code).toBe('EVQ_ERR_STORAGE');
    // the sync fault was one-shot: the next appends are fsynced fine
    expect((await postBatch(broker.url, 't', ['after'])).status).toBe(201);
    const seen = await values(broker.url, 't');
    const rejected = failed.flatMap((r) => r.batch);
    for (const v of rejected) expect(seen, `${v} was refused but is readable`).not.toContain(v);
    for (const r of acked) for (const v of r.batch) expect(seen).toContain(v);
    // every write that a failed fsync covered was cut off, never fsynced again and kept: after a restart
    // (which scans the log) none of it is there either
    await broker.close();
    running.splice(0);
    const again = await start('always', false);
    const reread = await values(again.url, 't');
    expect(reread).toEqual(seen);
    for (const v of rejected) expect(reread).not.toContain(v);
  });

  it('a failed group commit is refused and does not move the group; a failed delayed produce is not delivered', async () => {
    const broker = await start();
    expect((await postBatch(broker.url, 't', ['a', 'b', 'c'])).status).toBe(201);
    const commit = (offset: number) =>
      fetch(`${broker.url}/topics/t/groups/g/commit`, {
        method: 'POST',
        body: JSON.stringify({ offset }),
        headers: { 'content-type': 'application/json' },
      });
    expect((await commit(1)).status).toBe(200);
    io.fail('write', 'ENOSPC', { match: (p) => p.includes('groups.json'), times: Number.POSITIVE_INFINITY });
    io.fail('write', 'ENOSPC', { match: (p) => p.includes('/delayed/'), times: Number.POSITIVE_INFINITY });
    const refused = await commit(3);
    expect(refused.status).toBe(507);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('EVQ_ERR_STORAGE');
    // the refused commit is not what the group reads as its offset
    const state = (await (await fetch(`${broker.url}/topics/t/groups/g`)).json()) as { committed: number };
    expect(state.committed).toBe(1);
    const delayed = await postBatch(broker.url, 't', ['later'], { 'evq-delay': '50ms' });
    expect(delayed.status).toBe(507);
    io.clear();
    expect((await commit(2)).status).toBe(200);
    await broker.close();
    running.splice(0);
    const again = await start('always', false);
    const after = (await (await fetch(`${again.url}/topics/t/groups/g`)).json()) as { committed: number };
    expect(after.committed).toBe(2);
    expect(await values(again.url, 't')).toEqual(['a', 'b', 'c']);
  });
});

/** `evq consume` (the CLI's runConsume, over a real client) against a broker whose group commits fail. */
async function consumeCli(url: string, args: string[]): Promise<{ out: string; err: unknown; errors: string[]; code: number }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const { plan } = await parsePlan('consume', [...args, '--url', url], (topic: string, flags: ConsumeFlags) => toConsumePlan(topic, flags));
  const env: CliEnv = { connect: connectTo, stdin: process.stdin, stdout: stdout as unknown as NodeJS.WriteStream };
  const err = await runConsume(plan!, captureOutput(), env).then(
    () => undefined,
    (e: unknown) => e,
  );
  const output = captureOutput();
  const code = err === undefined ? 0 : exitCodeFor(err, output);
  return { out, err, errors: output.errors, code };
}

describe('evq consume --group when the commit fails', () => {
  for (const [what, args] of [
    ['--limit N', ['--limit', '2']],
    ['the end of the log', []],
    ['--limit N past the first page', ['--limit', '5']],
  ] as [string, string[]][]) {
    it(`${what}: the failed commit is on stderr and the exit code is 1`, async () => {
      const broker = await start();
      expect((await postBatch(broker.url, 't', ['a', 'b', 'c'])).status).toBe(201);
      io.fail('write', 'ENOSPC', { match: (p) => p.includes('groups.json'), times: Number.POSITIVE_INFINITY });
      const run = await consumeCli(broker.url, ['t', '--group', 'g', ...args]);
      expect(run.code).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(/commit.*group "g".*ENOSPC/);
      expect(run.errors[0]).not.toContain('\n');
      // nothing was committed: the group reads them all again once the disk is back
      io.clear();
      const state = (await (await fetch(`${broker.url}/topics/t/groups/g`)).json()) as { committed: number | null };
      expect(state.committed ?? 0).toBe(0);
      const again = await consumeCli(broker.url, ['t', '--group', 'g']);
      expect(again.code).toBe(0);
      expect(again.out).toBe('a\nb\nc\n');
    });
  }
});
