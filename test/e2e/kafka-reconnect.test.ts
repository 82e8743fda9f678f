/**
 * A kafka:// subscription outlives its broker: `evq serve --kafka-port` killed with SIGKILL and started again
 * on the same ports and data dir, the subscription (no group) says it lost the connection, resumes each
 * partition at its next offset, and gets what is produced after the restart: nothing twice, nothing missed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import type { EvqClient, EvqRecord } from '../../src/client/types.js';
import { createTopic } from '../helpers/broker.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker } from '../helpers/spawn-broker.js';
import { waitFor } from '../helpers/wait.js';

const clients: EvqClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await killSpawned();
  await removeTempDirs();
});

async function produce(url: string, topic: string, values: string[]): Promise<void> {
  const res = await fetch(`${url}/topics/${topic}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: values.map((v, i) => JSON.stringify({ key: `k${i}`, value: v })).join('\n'),
  });
  if (!res.ok) throw new Error(`produce: ${res.status} ${await res.text()}`);
}

describe('kafka:// subscribe across a broker restart', () => {
  it('resumes every partition at its next offset: the records after the restart arrive once, none before them again', async () => {
    const dir = await makeTempDir();
    const first = await spawnBroker(dir, { args: ['--kafka-port', '0', '--fsync', 'always'] });
    const httpPort = new URL(first.url).port;
    const kafkaPort = new URL(first.kafkaUrl as string).port;
    await createTopic(first.url, 'survives', 3);
    await produce(first.url, 'survives', ['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);

    const client = await connect(first.kafkaUrl as string, { timeoutMs: 5000 });
    clients.push(client);
    const statuses: string[] = [];
    const subscription = client.subscribe('survives', { from: 'earliest', onStatus: (s) => statuses.push(s.type) });
    const seen: EvqRecord[] = [];
    void (async () => {
      for await (const r of subscription) seen.push(r);
    })();
    await waitFor(() => seen.length === 6, { what: 'the six records before the restart', timeoutMs: 15_000 });

    first.kill('SIGKILL');
    await first.exited;
    const second = await spawnBroker(dir, { args: ['--port', httpPort, '--kafka-port', kafkaPort, '--fsync', 'always'] });
    await produce(second.url, 'survives', ['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    await waitFor(() => seen.length >= 12, { what: 'the six records after the restart', timeoutMs: 30_000 });
    await subscription.close();

    const values = seen.map((r) => r.value.toString()).sort();
    expect(values).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    for (const p of [0, 1, 2]) {
      const offsets = seen.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(new Set(offsets).size).toBe(offsets.length);
    }
    expect(statuses).toContain('disconnected');
    expect(statuses).toContain('reconnected');
  }, 90_000);
});
