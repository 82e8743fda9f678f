/**
 * The admin APIs against real clients: kafkajs 2.2.4's admin creates a topic with partitions (seen by
 * kafkajs, by kcat -L and by evq's HTTP API), grows it, describes its configs and the broker's, deletes it,
 * and gets Kafka's errors for a topic that exists, a name Kafka forbids and a replication factor of 3.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;

let broker: TestBroker;
let admin: Admin;

beforeAll(async () => {
  broker = await startTestBroker({
    kafkaPort: 0,
    retentionAgeMs: 3_600_000,
    segmentBytes: 4 * 1024 * 1024,
    maxMessageBytes: 2 * 1024 * 1024,
  });
  const kafka = new Kafka({
    clientId: 'admin-test',
    brokers: [`127.0.0.1:${broker.kafkaPort}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50 },
  });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.close();
});

async function evqPartitions(topic: string): Promise<number | null> {
  const res = await fetch(`${broker.url}/topics/${topic}`);
  if (res.status === 404) return null;
  const body = (await res.json()) as { partitions: unknown[] };
  return body.partitions.length;
}

async function kafkajsPartitions(topic: string): Promise<number[]> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return (topics[0]?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
}

describe('kafkajs admin', () => {
  it('creates a topic of 3 partitions that kafkajs, kcat and evq all see', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })).toBe(true);
    expect(await admin.listTopics()).toContain('orders');
    expect(await kafkajsPartitions('orders')).toEqual([0, 1, 2]);
    expect(await evqPartitions('orders')).toBe(3);
    if (hasKcat) {
      // not spawnSync: the broker answers from this process's event loop
      const out = await promisify(execFile)('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, '-L', '-J', '-t', 'orders', '-m', '5']);
      const meta = JSON.parse(out.stdout) as { topics: { topic: string; partitions: { partition: number; leader: number }[] }[] };
      const orders = meta.topics.find((t) => t.topic === 'orders');
      expect(orders?.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
      expect(orders?.partitions.every((p) => p.leader === 1)).toBe(true);
    }
  });

  it('creates a topic of the default partitions for -1, and with manual assignments on this broker', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'defaulted' }] })).toBe(true);
    expect(await evqPartitions('defaulted')).toBe(1);
    const replicaAssignment = [0, 1].map((partition) => ({ partition, replicas: [1] }));
    expect(await admin.createTopics({ topics: [{ topic: 'assigned', replicaAssignment }] })).toBe(true);
    expect(await evqPartitions('assigned')).toBe(2);
    await expect(
      admin.createTopics({ topics: [{ topic: 'elsewhere', replicaAssignment: [{ partition: 0, replicas: [2] }] }] }),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_REPLICA_ASSIGNMENT' })] });
    expect(await evqPartitions('elsewhere')).toBeNull();
  });

  it('validate_only creates nothing', async () => {
    // kafkajs would wait for the leaders of a topic that validate_only does not create
    expect(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', numPartitions: 2 }] })).toBe(
      true,
    );
    expect(await evqPartitions('dry-run')).toBeNull();
  });

  it('answers a topic that exists with TOPIC_ALREADY_EXISTS (kafkajs resolves false), whatever its count', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 7 }] })).toBe(false);
    expect(await evqPartitions('orders')).toBe(3);
  });

  it('refuses a name Kafka forbids, a replication factor of 3, a partition count of 0 and an unknown config', async () => {
    // kafkajs bails on a non-retriable protocol error: the KafkaJSProtocolError itself, or an aggregate of them
    const kafkaErrorOf = async (promise: Promise<unknown>): Promise<{ type: string; message: string }> => {
      const error = (await promise.then(
        () => null,
        (e: unknown) => e,
      )) as { type?: string; message: string; errors?: { type: string; message: string }[] } | null;
      expect(error).not.toBeNull();
      return (error?.errors?.[0] ?? error) as { type: string; message: string };
    };
    const badName = await kafkaErrorOf(admin.createTopics({ topics: [{ topic: 'no spaces/here' }] }));
    expect(badName.type).toBe('INVALID_TOPIC_EXCEPTION');
    const replicated = await kafkaErrorOf(admin.createTopics({ topics: [{ topic: 'replicated', replicationFactor: 3 }] }));
    expect(replicated.type).toBe('INVALID_REPLICATION_FACTOR');
    const none = await kafkaErrorOf(admin.createTopics({ topics: [{ topic: 'empty', numPartitions: 0 }] }));
    expect(none.type).toBe('INVALID_PARTITIONS');
    const unknownConfig = await kafkaErrorOf(
      admin.createTopics({ topics: [{ topic: 'configured', configEntries: [{ name: 'no.such.config', value: '1' }] }] }),
    );
    expect(unknownConfig.type).toBe('INVALID_CONFIG');
    const compacted = await kafkaErrorOf(
      admin.createTopics({ topics: [{ topic: 'compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }),
    );
    expect(compacted.type).toBe('INVALID_CONFIG');
    for (const topic of ['replicated', 'empty', 'configured', 'compacted']) expect(await evqPartitions(topic)).toBeNull();
  });

  it('takes the topic configs Kafka knows as information only', async () => {
    const configEntries = [
      { name: 'retention.ms', value: '60000' },
      { name: 'cleanup.policy', value: 'delete' },
    ];
    expect(await admin.createTopics({ topics: [{ topic: 'informed', configEntries }] })).toBe(true);
    expect(await evqPartitions('informed')).toBe(1);
  });

  it('grows a topic to 5 partitions, and refuses fewer or as many with INVALID_PARTITIONS', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
    expect(await evqPartitions('orders')).toBe(5);
    expect(await kafkajsPartitions('orders')).toEqual([0, 1, 2, 3, 4]);
    for (const count of [5, 2]) {
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count }] })).rejects.toMatchObject({
        type: 'INVALID_PARTITIONS',
      });
    }
    await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'orders', count: 9 }] });
    expect(await evqPartitions('orders')).toBe(5);
  });

  it('describes a topic and the broker from the broker settings, honouring the names asked for', async () => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'orders' },
        { type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms', 'cleanup.policy'] },
        { type: ConfigResourceTypes.BROKER, name: '1' },
      ],
    });
    const values = (i: number): Record<string, string> =>
      Object.fromEntries((resources[i]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    expect(values(0)).toEqual({
      'cleanup.policy': 'delete',
      'retention.ms': '3600000',
      'retention.bytes': '-1',
      'max.message.bytes': String(2 * 1024 * 1024),
      'segment.bytes': String(4 * 1024 * 1024),
      'message.timestamp.type': 'CreateTime',
      'min.insync.replicas': '1',
    });
    expect(values(1)).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
    expect(values(2)).toMatchObject({
      'broker.id': '1',
      'log.retention.ms': '3600000',
      'message.max.bytes': String(2 * 1024 * 1024),
      'auto.create.topics.enable': 'true',
      'num.partitions': '1',
      'default.replication.factor': '1',
      'offsets.topic.replication.factor': '1',
    });
  });

  it('answers DescribeConfigs of a missing topic with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    await expect(
      admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'nowhere' }] }),
    ).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('deletes topics (gone from kafkajs and evq, with their groups), and a missing one is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const groupTopics = async (): Promise<string[]> =>
      ((await (await fetch(`${broker.url}/groups`)).json()) as { groups: { topic: string }[] }).groups.map((g) => g.topic);
    const commit = await fetch(`${broker.url}/topics/defaulted/groups/readers/commit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offset: 0 }),
    });
    expect(commit.status).toBe(200);
    expect(await groupTopics()).toContain('defaulted');
    await admin.deleteTopics({ topics: ['orders', 'defaulted'] });
    expect(await evqPartitions('orders')).toBeNull();
    expect(await evqPartitions('defaulted')).toBeNull();
    expect(await groupTopics()).not.toContain('defaulted');
    expect(await admin.listTopics()).not.toContain('orders');
    // kafkajs retries UNKNOWN_TOPIC_OR_PARTITION (a Metadata refresh may find it) and then gives up with it as the cause
    await expect(admin.deleteTopics({ topics: ['orders'] })).rejects.toMatchObject({ cause: { type: 'UNKNOWN_TOPIC_OR_PARTITION' } });
  });
});
