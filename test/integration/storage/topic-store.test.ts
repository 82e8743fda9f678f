import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { TopicStore } from '../../../src/broker/storage/topic-store.js';
import { EvqError } from '../../../src/errors.js';
import { messages, tempDir } from './fault-file-io.js';
import type { TopicEvent } from '../../../src/broker/storage/topic-store.js';

let root: string;
let dataDir: string;
let remove: () => Promise<void>;
const stores: TopicStore[] = [];

beforeEach(async () => {
  ({ dir: root, remove } = await tempDir());
  dataDir = join(root, 'data');
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  await remove();
});

async function openStore(options: Parameters<typeof TopicStore.open>[2] = {}): Promise<TopicStore> {
  const store = await TopicStore.open(nodeFileIO, dataDir, { fsync: 'never', retentionCheckIntervalMs: 0, ...options });
  stores.push(store);
  return store;
}

/** Every path under `dir`, recursively. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(path);
    if (entry.isDirectory()) out.push(...(await tree(path)));
  }
  return out;
}

describe('TopicStore', () => {
  it('creates topics on first produce, lists them, and finds them again after a reopen', async () => {
    const store = await openStore();
    expect(store.list()).toEqual([]);
    const orders = await store.getOrCreate('orders');
    expect(await store.getOrCreate('orders')).toBe(orders);
    await orders.partition(0)!.append(messages(3));
    await (await store.getOrCreate('a.b_c-d')).partition(0)!.append(messages(1));
    expect(store.list()).toMatchObject([
      { topic: 'a.b_c-d', startOffset: 0, endOffset: 1, messageCount: 1, partitions: [{ partition: 0, startOffset: 0, endOffset: 1 }] },
      { topic: 'orders', startOffset: 0, endOffset: 3, messageCount: 3, partitions: [{ partition: 0, startOffset: 0, endOffset: 3 }] },
    ]);
    expect(store.get('missing')).toBeUndefined();
    expect(store.has('orders')).toBe(true);
    await store.close();
    stores.pop();

    const again = await openStore();
    expect(again.list().map((t) => [t.topic, t.endOffset])).toEqual([
      ['a.b_c-d', 1],
      ['orders', 3],
    ]);
    expect(again.recovery).toEqual([]);
    expect((await again.get('orders')?.partition(0)?.read(0))?.map((r) => r.value.toString())).toEqual(['m-0', 'm-1', 'm-2']);
  });

  it('creates a topic once under concurrent first produces', async () => {
    const store = await openStore();
    const events: TopicEvent[] = [];
    store.onTopic((e) => events.push(e));
    const logs = await Promise.all(Array.from({ length: 10 }, () => store.getOrCreate('busy')));
    expect(new Set(logs).size).toBe(1);
    expect(events).toEqual([{ type: 'created', topic: 'busy', partitions: 1 }]);
  });

  it('refuses bad names and never creates anything outside the data directory', async () => {
    const store = await openStore();
    const before = await tree(root);
    for (const name of ['../x', '..', '.', 'a/b', '/etc', 'x\0y', 'x'.repeat(10_000), '', 'a\\b', '../../escape']) {
      const error = await store.getOrCreate(name).catch((e: unknown) => e);
      expect(error, JSON.stringify(name.slice(0, 20))).toBeInstanceOf(EvqError);
      expect((error as EvqError).code).toBe('EVQ_ERR_INVALID_TOPIC');
      expect(() => store.get(name)).toThrow(EvqError);
      await expect(store.delete(name)).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_TOPIC' });
    }
    // root holds the data directory and nothing else: every escape above would land inside it
    expect(await tree(root)).toEqual(before);
  });

  it('deletes a topic and its files; the name can be used again', async () => {
    const store = await openStore();
    const events: TopicEvent[] = [];
    store.onTopic((e) => events.push(e));
    const log = (await store.getOrCreate('gone')).partition(0)!;
    await log.append(messages(5));
    expect(await store.delete('gone')).toBe(true);
    expect(await store.delete('gone')).toBe(false);
    expect(store.get('gone')).toBeUndefined();
    expect(await readdir(join(dataDir, 'topics'))).toEqual([]);
    await expect(log.append(messages(1))).rejects.toMatchObject({ code: 'EVQ_ERR_UNAVAILABLE' });
    const fresh = (await store.getOrCreate('gone')).partition(0)!;
    expect(fresh.endOffset).toBe(0);
    expect(events).toEqual([
      { type: 'created', topic: 'gone', partitions: 1 },
      { type: 'deleted', topic: 'gone' },
      { type: 'created', topic: 'gone', partitions: 1 },
    ]);
  });

  it('removes leftovers of an interrupted delete and ignores foreign entries at open', async () => {
    const topics = join(dataDir, 'topics');
    await mkdir(join(topics, 'old~0a1b2c.deleted'), { recursive: true });
    await writeFile(join(topics, 'old~0a1b2c.deleted', '00000000000000000000.log'), 'x');
    await writeFile(join(topics, 'README'), 'not a topic');
    await mkdir(join(topics, 'bad name'));
    const store = await openStore();
    expect(store.list()).toEqual([]);
    expect((await readdir(topics)).sort()).toEqual(['README', 'bad name']);
  });

  it('stops at maxTopics with EVQ_ERR_LIMIT_EXCEEDED', async () => {
    const store = await openStore({ maxTopics: 2 });
    await store.getOrCreate('a');
    await store.getOrCreate('b');
    await expect(store.getOrCreate('c')).rejects.toMatchObject({ code: 'EVQ_ERR_LIMIT_EXCEEDED' });
    expect(await store.getOrCreate('a')).toBeDefined();
  });

  it('reports what recovery did per topic', async () => {
    const store = await openStore();
    await (await store.getOrCreate('t')).partition(0)!.append(messages(2));
    await store.close();
    stores.pop();
    const segment = join(dataDir, 'topics', 't', '00000000000000000000.log');
    await writeFile(segment, 'garbage', { flag: 'a' });
    await writeFile(segment.replace('.log', '.index'), 'damaged');
    const again = await openStore();
    expect(again.recovery).toHaveLength(1);
    expect(again.recovery[0]?.topic).toBe('t');
    expect(again.recovery[0]?.truncations[0]).toMatchObject({ bytesDropped: 7, firstOffsetDropped: 2 });
    expect(again.get('t')?.partition(0)?.endOffset).toBe(2);
  });

  it('refuses new work once closed', async () => {
    const store = await openStore();
    await store.close();
    await expect(store.getOrCreate('x')).rejects.toMatchObject({ code: 'EVQ_ERR_UNAVAILABLE' });
  });

  it('keeps topics in memory with io = null', async () => {
    const store = await TopicStore.open(null, join(root, 'unused'), { retentionCheckIntervalMs: 0 });
    stores.push(store);
    expect(store.durable).toBe(false);
    const log = (await store.getOrCreate('mem')).partition(0)!;
    expect(log.durable).toBe(false);
    await log.append(messages(2));
    expect(store.list()).toMatchObject([{ topic: 'mem', endOffset: 2 }]);
    expect(await store.delete('mem')).toBe(true);
    expect(await readdir(root)).toEqual([]);
  });
});
