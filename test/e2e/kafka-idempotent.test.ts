/**
 * The idempotent producer's sequences survive a SIGKILL of `evq serve --kafka-port`: a batch acknowledged
 * before the kill and sent again after it (a retry whose answer was lost) is answered with its first base
 * offset and is not appended twice; the producer goes on in sequence. Spawns `bin/evq.js serve` from
 * `dist/` (`npm run build` first).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KAFKA_ERROR } from '../../src/protocol/kafka/error-codes.js';
import { readAll } from '../helpers/broker.js';
import { RawClient } from '../helpers/kafka-raw-client.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';

const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await killSpawned();
  await removeTempDirs();
});

async function kafkaClient(broker: SpawnedBroker): Promise<RawClient> {
  const port = /and kafka:\/\/\S+:(\d+) \(/.exec(broker.stdout())?.[1];
  expect(port, broker.stdout()).toBeDefined();
  const client = await RawClient.open(Number(port));
  clients.push(client);
  return client;
}

async function produce(client: RawClient, producerId: number, seq: number, values: string[]) {
  const f = client.produceFrame('killed', producerId, seq, values);
  const answer = client.produceAnswer(f.correlationId);
  client.send(f.bytes);
  return answer;
}

describe('evq serve --kafka-port, kill -9', () => {
  it('a retry after the kill is answered with the first offset and appended once', async () => {
    const dataDir = await makeTempDir();
    const args = ['--kafka-port', '0', '--fsync', 'always'];
    const first = await spawnBroker(dataDir, { args });
    let client = await kafkaClient(first);
    const { producerId } = await client.initProducerId();
    expect(await produce(client, producerId, 0, ['a', 'b'])).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 0 });
    expect(await produce(client, producerId, 2, ['c'])).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 2 });
    first.kill('SIGKILL');
    await first.exited;

    const second = await spawnBroker(dataDir, { args });
    client = await kafkaClient(second);
    expect(await produce(client, producerId, 2, ['c'])).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 2 });
    expect(await produce(client, producerId, 0, ['a', 'b'])).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 0 });
    expect(await produce(client, producerId, 3, ['d'])).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 3 });
    // a new producer id after the restart is not one handed out before
    expect((await client.initProducerId()).producerId).toBeGreaterThan(producerId);
    const { records } = await readAll(second.url, 'killed', '?from=0&limit=100');
    expect(records.map((r) => r.value)).toEqual(['a', 'b', 'c', 'd']);
  });
});
