/**
 * A SIGKILL of `evq serve --kafka-port 0 --fsync always` while kcat produces with `-X acks=all` loses
 * nothing kcat was told was delivered: kcat prints a delivery report per acknowledged message (`-v -v`:
 * "Message delivered to partition 0 (offset N)"), and after a restart on the same data directory every
 * reported offset holds the line that was sent there. Spawns `bin/evq.js serve` from `dist/` (`npm run
 * build` first).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getJson, readAll } from '../helpers/broker.js';
import { bootstrap, hasKcat, killKcat, startKcat } from '../helpers/kcat.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker } from '../helpers/spawn-broker.js';
import { waitFor } from '../helpers/wait.js';

afterEach(async () => {
  await killKcat();
  await killSpawned();
  await removeTempDirs();
});

const LINES = 400_000;
/** The broker is killed once this many records are in the log: well before kcat can have sent them all. */
const KILL_AT = 20_000;
const line = (i: number): string => `line-${String(i).padStart(7, '0')}`;

describe.skipIf(!hasKcat)('kcat -X acks=all against a broker killed with SIGKILL', () => {
  it('every message kcat reported delivered is there after a restart, at the offset reported', async () => {
    const dir = await makeTempDir();
    const topic = 'acked';
    const first = await spawnBroker(dir, { args: ['--kafka-port', '0', '--fsync', 'always'] });
    expect(first.kafkaUrl).toMatch(/^kafka:\/\/127\.0\.0\.1:\d+$/);
    const created = await fetch(`${first.url}/topics/${topic}`, { method: 'PUT' });
    expect(created.status).toBe(201);

    const input = Array.from({ length: LINES }, (_, i) => line(i)).join('\n') + '\n';
    const kcat = startKcat(bootstrap(first.kafkaUrl), ['-P', '-t', topic, '-p', '0', '-X', 'acks=all', '-v', '-v'], {
      stdin: input,
      timeoutMs: 60_000,
    });
    await waitFor(async () => ((await getJson(`${first.url}/topics/${topic}`)).endOffset as number) >= KILL_AT, {
      what: `${KILL_AT} records in the log`,
      timeoutMs: 20_000,
    });
    first.kill('SIGKILL');
    await first.exited;
    kcat.kill('SIGKILL');
    const { err } = await kcat.done;

    const acked: number[] = [];
    for (const m of err.matchAll(/Message delivered to partition 0 \(offset (\d+)\)/g)) acked.push(Number(m[1]));
    expect(acked.length).toBeGreaterThan(0);
    // the kill came mid-stream: some messages were never acknowledged
    expect(acked.length).toBeLessThan(LINES);
    // one partition, reports in order: 0, 1, 2, … with no gap
    acked.sort((a, b) => a - b);
    expect(acked[acked.length - 1]).toBe(acked.length - 1);

    const second = await spawnBroker(dir);
    const info = await getJson(`${second.url}/topics/${topic}`);
    expect(info.endOffset as number).toBeGreaterThanOrEqual(acked.length);
    // every acknowledged offset holds the line sent there (kcat sends in order; nothing failed before the kill)
    let at = 0;
    while (at < acked.length) {
      const read = await readAll(second.url, topic, `?from=${at}&limit=10000`);
      expect(read.status).toBe(200);
      expect(read.records.length).toBeGreaterThan(0);
      for (const r of read.records) {
        if (at >= acked.length) break;
        if (r.offset !== at || r.value !== line(at)) expect([r.offset, r.value]).toEqual([at, line(at)]);
        at++;
      }
    }
    expect(at).toBe(acked.length);
  }, 60_000);
});
