import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OffsetStore } from '../../../../src/broker/groups/offset-store.js';
import { nodeFileIO } from '../../../../src/broker/storage/file-io.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the offset store', () => {
  it('loads a groups.json of version 1 as commits of partition 0 and writes version 2 at the next commit', async () => {
    dir = await mkdtemp(join(tmpdir(), 'evq-offsets-'));
    const v1 = { version: 1, groups: [{ topic: 'orders', group: 'billing', committed: 5, updatedAt: 1767225600000 }] };
    await writeFile(join(dir, 'groups.json'), JSON.stringify(v1));
    const store = await OffsetStore.open(nodeFileIO, dir);
    expect(store.list()).toEqual([{ topic: 'orders', group: 'billing', partition: 0, committed: 5, updatedAt: 1767225600000 }]);
    expect(store.get('orders', 'billing')?.committed).toBe(5);
    expect(store.get('orders', 'billing', 1)).toBeUndefined();

    await store.commitMany('billing', [{ topic: 'orders', partition: 2, offset: 9 }], 7);
    await store.close();
    const saved = JSON.parse(await readFile(join(dir, 'groups.json'), 'utf8'));
    expect(saved.version).toBe(2);
    const reopened = await OffsetStore.open(nodeFileIO, dir);
    expect(reopened.list().map((s) => [s.partition, s.committed])).toEqual([
      [0, 5],
      [2, 9],
    ]);
  });

  it('commits several partitions at once, never backwards unless forced, and refuses past its limit before adding', async () => {
    const store = await OffsetStore.open(null, '', 3);
    const states = await store.commitMany(
      'g',
      [
        { topic: 't', partition: 0, offset: 4 },
        { topic: 't', partition: 1, offset: 6 },
      ],
      1,
    );
    expect(states.map((s) => s.committed)).toEqual([4, 6]);
    expect((await store.commit('t', 'g', 2, 2, false, 0)).committed).toBe(4);
    expect((await store.commit('t', 'g', 2, 2, true, 0)).committed).toBe(2);
    await expect(
      store.commitMany(
        'g',
        [
          { topic: 't', partition: 2, offset: 1 },
          { topic: 't', partition: 3, offset: 1 },
        ],
        3,
      ),
    ).rejects.toMatchObject({ code: 'EVQ_ERR_LIMIT_EXCEEDED' });
    expect(store.list()).toHaveLength(2);
    expect(store.groupsOf('t')).toEqual([{ topic: 't', group: 'g', partitions: store.list().sort((a, b) => a.partition - b.partition) }]);
  });
});
