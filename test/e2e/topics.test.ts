/**
 * `evq topics` and `evq topics delete` as a user runs them (JSON in a pipe, as the tests see it).
 * Spawns `bin/evq.js` from `dist/` against `evq serve --port 0`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postBatch } from '../helpers/broker.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli } from '../helpers/spawn-cli.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'never'] });
});

afterEach(killCli);

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

describe('evq topics', () => {
  it('lists topics as one JSON array in a pipe: counts, sizes, offsets, subscribers', async () => {
    const empty = await runCli(['topics'], { url: broker.url });
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.out)).toEqual([]);
    await postBatch(broker.url, 'orders', ['a', 'b', 'c']);
    await postBatch(broker.url, 'alpha', ['x']);
    const r = await runCli(['topics', '--json'], { url: broker.url });
    expect(r.code).toBe(0);
    expect(lines(r.out)).toHaveLength(1);
    const topics = JSON.parse(r.out);
    expect(topics.map((t: { topic: string }) => t.topic)).toEqual(['alpha', 'orders']);
    expect(topics[1]).toMatchObject({ topic: 'orders', startOffset: 0, endOffset: 3, messageCount: 3, subscribers: 0 });
    expect(topics[1].sizeBytes).toBeGreaterThan(0);
  });

  it('topics delete removes a topic; deleting it again is exit 1 with one line', async () => {
    await postBatch(broker.url, 'scratch', ['x']);
    const del = await runCli(['topics', 'delete', 'scratch'], { url: broker.url });
    expect(del.code).toBe(0);
    expect(del.err).toBe('deleted topic scratch\n');
    const list = JSON.parse((await runCli(['topics'], { url: broker.url })).out) as Array<{ topic: string }>;
    expect(list.map((t) => t.topic)).not.toContain('scratch');
    const again = await runCli(['topics', 'delete', 'scratch'], { url: broker.url });
    expect(again.code).toBe(1);
    expect(lines(again.err)).toHaveLength(1);
    expect(again.err).toMatch(/^error: .*scratch/);
  });

  it('topics create makes an empty topic once; retention per topic is a one-line usage error on evq serve', async () => {
    const created = await runCli(['topics', 'create', 'fresh'], { url: broker.url });
    expect(created.code).toBe(0);
    expect(created.err).toBe('created topic fresh\n');
    const list = JSON.parse((await runCli(['topics'], { url: broker.url })).out) as Array<{ topic: string; messageCount: number }>;
    expect(list.find((t) => t.topic === 'fresh')).toMatchObject({ messageCount: 0 });
    const again = await runCli(['topics', 'create', 'fresh'], { url: broker.url });
    expect(again.code).toBe(0);
    expect(again.err).toBe('topic fresh exists already: left as it is\n');
    const retention = await runCli(['topics', 'create', 'kept', '--retention-bytes', '1mb'], { url: broker.url });
    expect(retention.code).toBe(2);
    expect(lines(retention.err)).toEqual([expect.stringMatching(/^error: evq serve has no retention per topic/)]);
    const badName = await runCli(['topics', 'create', '../x'], { url: broker.url });
    expect(badName.code).toBe(2);
    expect(lines(badName.err)).toHaveLength(1);
  });

  it('--url after delete or before it; no broker is exit 1 naming the URL', async () => {
    await postBatch(broker.url, 'a1', ['x']);
    await postBatch(broker.url, 'a2', ['x']);
    expect((await runCli(['topics', 'delete', 'a1', '--url', broker.url])).code).toBe(0);
    expect((await runCli(['topics', '--url', broker.url, 'delete', 'a2'])).code).toBe(0);
    const none = await runCli(['topics'], { url: 'http://127.0.0.1:1' });
    expect(none.code).toBe(1);
    expect(lines(none.err)).toEqual([expect.stringMatching(/^error: no evq broker answers at http:\/\/127\.0\.0\.1:1.*`evq serve`/)]);
  });
});
