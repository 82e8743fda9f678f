#!/usr/bin/env node
// @ts-check
/**
 * Writes golden request frames with kafkajs's own encoders (kafkajs 2.2.4, the devDependency), offline:
 * Produce v3 with a 3-record batch (keys, headers) uncompressed and gzip, Produce v7 from an idempotent
 * producer (gzip), Produce v0 (magic 0) and v2 (magic 1, uncompressed and gzip) with legacy message sets, a RecordBatch alone, Metadata v0–v6 naming two topics, Fetch v4, v7 and v11, and
 * ListOffsets v1–v3, the admin, group-membership and offset APIs, and the consumer protocol's subscription
 * and assignment blobs (bare, not frames). Each `.bin` is a whole frame
 * (size prefix included) as kafkajs sends it; the `.json` beside it states the fields a decoder must find.
 * test/unit/protocol/kafka/fixtures.test.ts decodes them with evq's codec and re-encodes what it can.
 *
 *   node scripts/capture-kafka-encoders.js [outDir]
 *
 * Existing files are never overwritten (gzip output is zlib's: another zlib may deflate differently, so a
 * fixture pins the bytes once).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const encodeRequest = require('kafkajs/src/protocol/request');
const Long = require('kafkajs/src/utils/long');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');

const dir = process.argv[2] ?? fileURLToPath(new URL('../test/fixtures/kafka/', import.meta.url));
/** 2026-01-01T00:00:00Z */
const T = Date.UTC(2026, 0, 1);
const CLIENT_ID = 'evq-fixture';

await mkdir(dir, { recursive: true });

/**
 * @param {string} name
 * @param {Buffer} bytes
 * @param {unknown} description
 */
async function save(name, bytes, description) {
  for (const [file, data] of [
    [`${name}.bin`, bytes],
    [`${name}.json`, JSON.stringify(description, null, 2) + '\n'],
  ]) {
    const path = join(dir, /** @type {string} */ (file));
    if (existsSync(path)) continue;
    await writeFile(path, data);
    console.log(file);
  }
}

/** The three messages of every Produce fixture, as kafkajs's producer takes them. */
const messages = [
  {
    key: Buffer.from('alice'),
    value: Buffer.from('hello'),
    headers: { type: Buffer.from('deposit'), region: Buffer.from('eu') },
    timestamp: T,
  },
  { key: null, value: Buffer.from([0x00, 0xff, 0xfe]), headers: {}, timestamp: T + 5 },
  { key: Buffer.from('clé'), value: Buffer.from('välue ✓'), headers: { 'x-é': Buffer.from('') }, timestamp: T + 2 },
];

/** What a decoder must find in the batch of those messages (values hex, since one is not UTF-8). */
const expectedRecords = messages.map((m, i) => ({
  offsetDelta: i,
  timestamp: m.timestamp,
  key: m.key === null ? null : m.key.toString('utf8'),
  valueHex: m.value.toString('hex'),
  headers: Object.entries(m.headers).map(([key, value]) => ({ key, value: value.toString('utf8') })),
}));

/**
 * @param {number} apiVersion
 * @param {number} compression
 * @param {{ producerId?: number, producerEpoch?: number, firstSequence?: number }} producer
 */
async function produce(apiVersion, compression, producer) {
  const request = require(`kafkajs/src/protocol/requests/produce/v${apiVersion}/request`)({
    acks: -1,
    timeout: 30000,
    compression,
    producerId: Long.fromValue(producer.producerId ?? -1),
    producerEpoch: producer.producerEpoch ?? 0,
    topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: producer.firstSequence ?? 0, messages }] }],
  });
  const frame = (await encodeRequest({ correlationId: 7, clientId: CLIENT_ID, request })).buffer;
  return {
    frame,
    description: {
      source: `kafkajs 2.2.4 src/protocol/requests/produce/v${apiVersion}/request.js`,
      header: { apiKey: 0, apiVersion, correlationId: 7, clientId: CLIENT_ID },
      body: {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30000,
        topics: [
          {
            name: 'orders',
            partitions: [
              {
                index: 2,
                batch: {
                  baseOffset: 0,
                  partitionLeaderEpoch: 0,
                  magic: 2,
                  compression,
                  lastOffsetDelta: 2,
                  baseTimestamp: T,
                  maxTimestamp: T + 5,
                  producerId: producer.producerId ?? -1,
                  producerEpoch: producer.producerEpoch ?? 0,
                  baseSequence: producer.firstSequence ?? 0,
                  records: expectedRecords,
                },
              },
            ],
          },
        ],
      },
    },
  };
}

for (const [name, version, compression, producer] of /** @type {const} */ ([
  ['kafkajs-produce-v3-none', 3, 0, {}],
  ['kafkajs-produce-v3-gzip', 3, 1, {}],
  ['kafkajs-produce-v7-gzip-idempotent', 7, 1, { producerId: 4242, producerEpoch: 1, firstSequence: 5 }],
])) {
  const { frame, description } = await produce(version, compression, producer);
  await save(name, frame, description);
}

// Produce v0 and v2 carry legacy message sets (magic 0 and 1, no headers), compressed as one wrapper message
for (const [name, version, compression] of /** @type {const} */ ([
  ['kafkajs-produce-v0-none', 0, 0],
  ['kafkajs-produce-v2-none', 2, 0],
  ['kafkajs-produce-v2-gzip', 2, 1],
])) {
  const request = require(`kafkajs/src/protocol/requests/produce/v${version}/request`)({
    acks: 1,
    timeout: 30000,
    compression,
    topicData: [{ topic: 'orders', partitions: [{ partition: 1, messages }] }],
  });
  const frame = (await encodeRequest({ correlationId: 9, clientId: CLIENT_ID, request })).buffer;
  await save(name, frame, {
    source: `kafkajs 2.2.4 src/protocol/requests/produce/v${version}/request.js (messageSet, message v${version === 2 ? 1 : 0})`,
    header: { apiKey: 0, apiVersion: version, correlationId: 9, clientId: CLIENT_ID },
    body: { acks: 1, timeoutMs: 30000, topic: 'orders', partition: 1, magic: version === 2 ? 1 : 0, compression },
    // magic 0 has no timestamps; nor headers in either
    records: messages.map((m) => ({
      timestamp: version === 2 ? m.timestamp : -1,
      key: m.key === null ? null : m.key.toString('utf8'),
      valueHex: m.value.toString('hex'),
    })),
  });
}

// the batch alone, as kafkajs's producer builds it (uncompressed)
{
  const records = messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: m.timestamp - T }));
  const batch = await RecordBatch({ compression: 0, records, firstTimestamp: T, maxTimestamp: T + 5, lastOffsetDelta: 2 });
  await save('kafkajs-record-batch-none', batch.buffer, {
    source: 'kafkajs 2.2.4 src/protocol/recordBatch/v0/index.js',
    batch: {
      baseOffset: 0,
      partitionLeaderEpoch: 0,
      magic: 2,
      compression: 0,
      lastOffsetDelta: 2,
      baseTimestamp: T,
      maxTimestamp: T + 5,
      producerId: -1,
      producerEpoch: 0,
      baseSequence: 0,
      records: expectedRecords,
    },
  });
}

for (let version = 0; version <= 6; version++) {
  const request = require(`kafkajs/src/protocol/requests/metadata/v${version}/request`)({
    topics: ['orders', 'audit'],
    allowAutoTopicCreation: true,
  });
  const frame = (await encodeRequest({ correlationId: 3, clientId: CLIENT_ID, request })).buffer;
  await save(`kafkajs-metadata-v${version}`, frame, {
    source: `kafkajs 2.2.4 src/protocol/requests/metadata/v${version}/request.js`,
    header: { apiKey: 3, apiVersion: version, correlationId: 3, clientId: CLIENT_ID },
    body: { topics: ['orders', 'audit'], ...(version >= 4 ? { allowAutoTopicCreation: true } : {}) },
  });
}

// Fetch v4 (the codec's first), v7 (fetch sessions), v11 (rack id, leader epochs): two partitions of
// `orders` at offsets 42 and 2^40, one forgotten topic from v7
for (const version of [4, 7, 11]) {
  const request = require(`kafkajs/src/protocol/requests/fetch/v${version}/request`)({
    replicaId: -1,
    isolationLevel: 1,
    maxWaitTime: 5000,
    minBytes: 1,
    maxBytes: 10485760,
    sessionId: 0,
    sessionEpoch: -1,
    rackId: version >= 11 ? 'rack-a' : '',
    topics: [
      {
        topic: 'orders',
        partitions: [
          { partition: 0, fetchOffset: '42', maxBytes: 1048576, logStartOffset: '-1', currentLeaderEpoch: -1 },
          { partition: 2, fetchOffset: String(2 ** 40), maxBytes: 1048576, logStartOffset: '-1', currentLeaderEpoch: -1 },
        ],
      },
    ],
    forgottenTopics: version >= 7 ? [{ topic: 'audit', partitions: [1] }] : [],
  });
  const frame = (await encodeRequest({ correlationId: 9, clientId: CLIENT_ID, request })).buffer;
  await save(`kafkajs-fetch-v${version}`, frame, {
    source: `kafkajs 2.2.4 src/protocol/requests/fetch/v${version}/request.js`,
    header: { apiKey: 1, apiVersion: version, correlationId: 9, clientId: CLIENT_ID },
    body: {
      replicaId: -1,
      maxWaitMs: 5000,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, currentLeaderEpoch: -1, fetchOffset: 42, logStartOffset: -1, partitionMaxBytes: 1048576 },
            { partition: 2, currentLeaderEpoch: -1, fetchOffset: 2 ** 40, logStartOffset: -1, partitionMaxBytes: 1048576 },
          ],
        },
      ],
      forgottenTopics: version >= 7 ? [{ topic: 'audit', partitions: [1] }] : [],
      rackId: version >= 11 ? 'rack-a' : '',
    },
  });
}

// ListOffsets v1–v3: latest, earliest and by time (2026-01-01T00:00:00Z) on three partitions of `orders`
for (const version of [1, 2, 3]) {
  const request = require(`kafkajs/src/protocol/requests/listOffsets/v${version}/request`)({
    replicaId: -1,
    isolationLevel: 1,
    topics: [
      {
        topic: 'orders',
        partitions: [
          { partition: 0, timestamp: -1 },
          { partition: 1, timestamp: -2 },
          { partition: 2, timestamp: T },
        ],
      },
    ],
  });
  const frame = (await encodeRequest({ correlationId: 4, clientId: CLIENT_ID, request })).buffer;
  await save(`kafkajs-list-offsets-v${version}`, frame, {
    source: `kafkajs 2.2.4 src/protocol/requests/listOffsets/v${version}/request.js`,
    header: { apiKey: 2, apiVersion: version, correlationId: 4, clientId: CLIENT_ID },
    body: {
      replicaId: -1,
      isolationLevel: version >= 2 ? 1 : 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, timestamp: -1 },
            { partitionIndex: 1, timestamp: -2 },
            { partitionIndex: 2, timestamp: T },
          ],
        },
      ],
    },
  });
}

// Admin, group-listing, producer-id and SASL requests: every version of CODEC_VERSIONS that kafkajs 2.2.4
// has an encoder for (it lacks DeleteTopics v2–v3, DescribeGroups v3–v4, DescribeConfigs v3). The `.json`
// states the body in evq's field names (src/protocol/kafka/<api>.ts); byte fields are hex.
{
  /**
   * @param {string} name fixture name
   * @param {string} api kafkajs's directory under src/protocol/requests/
   * @param {number} apiKey
   * @param {number} version
   * @param {unknown} args what kafkajs's request function takes
   * @param {unknown} body what a decoder must find
   */
  async function captureRequest(name, api, apiKey, version, args, body) {
    const request = require(`kafkajs/src/protocol/requests/${api}/v${version}/request`)(args);
    const frame = (await encodeRequest({ correlationId: 11, clientId: CLIENT_ID, request })).buffer;
    await save(name, frame, {
      source: `kafkajs 2.2.4 src/protocol/requests/${api}/v${version}/request.js`,
      header: { apiKey, apiVersion: version, correlationId: 11, clientId: CLIENT_ID },
      body,
    });
  }

  // CreateTopics v0–v3: `orders` by count (3 partitions, replication 1, two configs), `audit` by assignment
  for (let version = 0; version <= 3; version++) {
    await captureRequest(
      `kafkajs-create-topics-v${version}`,
      'createTopics',
      19,
      version,
      {
        topics: [
          {
            topic: 'orders',
            numPartitions: 3,
            replicationFactor: 1,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'retention.ms', value: '86400000' },
            ],
          },
          {
            topic: 'audit',
            replicaAssignment: [
              { partition: 0, replicas: [1, 2] },
              { partition: 1, replicas: [2] },
            ],
          },
        ],
        validateOnly: true,
        timeout: 3000,
      },
      {
        topics: [
          {
            name: 'orders',
            numPartitions: 3,
            replicationFactor: 1,
            assignments: [],
            configs: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'retention.ms', value: '86400000' },
            ],
          },
          {
            name: 'audit',
            numPartitions: -1,
            replicationFactor: -1,
            assignments: [
              { partitionIndex: 0, brokerIds: [1, 2] },
              { partitionIndex: 1, brokerIds: [2] },
            ],
            configs: [],
          },
        ],
        timeoutMs: 3000,
        validateOnly: version >= 1,
      },
    );
  }

  for (const version of [0, 1]) {
    await captureRequest(
      `kafkajs-delete-topics-v${version}`,
      'deleteTopics',
      20,
      version,
      { topics: ['orders', 'audit'], timeout: 3000 },
      { topicNames: ['orders', 'audit'], timeoutMs: 3000 },
    );
  }

  // CreatePartitions v0–v1: `orders` to 6 with 3 new partitions placed, `audit` to 4 placed by the broker
  // (kafkajs sends no assignments as a null array)
  for (const version of [0, 1]) {
    await captureRequest(
      `kafkajs-create-partitions-v${version}`,
      'createPartitions',
      37,
      version,
      {
        topicPartitions: [
          { topic: 'orders', count: 6, assignments: [[1], [2], [1, 2]] },
          { topic: 'audit', count: 4 },
        ],
        validateOnly: false,
        timeout: 3000,
      },
      {
        topics: [
          { name: 'orders', count: 6, assignments: [[1], [2], [1, 2]] },
          { name: 'audit', count: 4, assignments: null },
        ],
        timeoutMs: 3000,
        validateOnly: false,
      },
    );
  }

  for (const version of [0, 1, 2]) {
    await captureRequest(`kafkajs-list-groups-v${version}`, 'listGroups', 16, version, undefined, {});
  }

  for (const version of [0, 1, 2]) {
    await captureRequest(
      `kafkajs-describe-groups-v${version}`,
      'describeGroups',
      15,
      version,
      { groupIds: ['billing', 'audit-readers'] },
      { groups: ['billing', 'audit-readers'], includeAuthorizedOperations: false },
    );
  }

  for (const version of [0, 1]) {
    await captureRequest(`kafkajs-delete-groups-v${version}`, 'deleteGroups', 42, version, ['billing', 'audit-readers'], {
      groupsNames: ['billing', 'audit-readers'],
    });
  }

  // DescribeConfigs v0–v2: two keys of topic `orders`, every key of broker 1 (kafkajs: a null array)
  for (const version of [0, 1, 2]) {
    await captureRequest(
      `kafkajs-describe-configs-v${version}`,
      'describeConfigs',
      32,
      version,
      {
        resources: [
          { type: 2, name: 'orders', configNames: ['cleanup.policy', 'retention.ms'] },
          { type: 4, name: '1' },
        ],
        includeSynonyms: true,
      },
      {
        resources: [
          { resourceType: 2, resourceName: 'orders', configurationKeys: ['cleanup.policy', 'retention.ms'] },
          { resourceType: 4, resourceName: '1', configurationKeys: null },
        ],
        includeSynonyms: version >= 1,
        includeDocumentation: false,
      },
    );
  }

  // InitProducerId: v0 as an idempotent producer (null transactional id), v1 as a transactional one
  for (const [version, transactionalId] of /** @type {const} */ ([
    [0, null],
    [1, 'orders-tx'],
  ])) {
    await captureRequest(
      `kafkajs-init-producer-id-v${version}`,
      'initProducerId',
      22,
      version,
      { transactionalId, transactionTimeout: 60000 },
      { transactionalId, transactionTimeoutMs: 60000 },
    );
  }

  for (const [version, mechanism] of /** @type {const} */ ([
    [0, 'PLAIN'],
    [1, 'SCRAM-SHA-256'],
  ])) {
    await captureRequest(`kafkajs-sasl-handshake-v${version}`, 'saslHandshake', 17, version, { mechanism }, { mechanism });
  }

  // SaslAuthenticate v0–v1 carrying kafkajs's PLAIN token (it frames the token as BYTES itself)
  const plain = await require('kafkajs/src/protocol/sasl/plain/request')({ username: 'alice', password: 's3cret' }).encode();
  for (const version of [0, 1]) {
    await captureRequest(
      `kafkajs-sasl-authenticate-v${version}`,
      'saslAuthenticate',
      36,
      version,
      { authBytes: plain },
      { authBytesHex: Buffer.from('\u0000alice\u0000s3cret').toString('hex') },
    );
  }

  // Group-membership and offset requests: every version of the codecs (find-coordinator.ts, join-group.ts,
  // sync-group.ts, heartbeat.ts, offset-commit.ts) that kafkajs 2.2.4 has an encoder for. The protocols'
  // metadata and the assignments are the consumer-protocol blobs kafkajs's RoundRobinAssigner builds
  // (kafkajs/src/consumer/assignerProtocol.js); byte fields are hex in the `.json`.
  const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol');
  const MEMBER = 'evq-fixture-6b1f4c2e-0f3a-4d57-9a8e-1c2b3d4e5f60';
  const OTHER = 'evq-fixture-0c9d8e7f-1a2b-4c3d-8e4f-5a6b7c8d9e0f';

  // FindCoordinator: v0 a group (no key type), v1 a group, v2 a transactional id
  for (const [version, key, keyType] of /** @type {const} */ ([
    [0, 'billing', 0],
    [1, 'billing', 0],
    [2, 'orders-tx', 1],
  ])) {
    await captureRequest(
      `kafkajs-find-coordinator-v${version}`,
      'findCoordinator',
      10,
      version,
      version === 0 ? { groupId: key } : { coordinatorKey: key, coordinatorType: keyType },
      { key, keyType },
    );
  }

  // JoinGroup v0–v5: two protocols with kafkajs's subscriptions; v0–v3 a first join (empty member id),
  // v4–v5 the join again with the id the broker gave (MEMBER_ID_REQUIRED); v5 a static member `pod-0`
  const protocols = [
    { name: 'RoundRobinAssigner', metadata: MemberMetadata.encode({ version: 0, topics: ['orders', 'audit'] }) },
    { name: 'range', metadata: MemberMetadata.encode({ version: 0, topics: ['orders'], userData: Buffer.from([0x00, 0xff]) }) },
  ];
  for (let version = 0; version <= 5; version++) {
    const memberId = version >= 4 ? MEMBER : '';
    const groupInstanceId = version >= 5 ? 'pod-0' : null;
    await captureRequest(
      `kafkajs-join-group-v${version}`,
      'joinGroup',
      11,
      version,
      {
        groupId: 'billing',
        sessionTimeout: 30000,
        rebalanceTimeout: 60000,
        memberId,
        groupInstanceId,
        protocolType: 'consumer',
        groupProtocols: protocols,
      },
      {
        groupId: 'billing',
        sessionTimeoutMs: 30000,
        rebalanceTimeoutMs: version >= 1 ? 60000 : 30000,
        memberId,
        groupInstanceId,
        protocolType: 'consumer',
        protocols: protocols.map((p) => ({ name: p.name, metadataHex: p.metadata.toString('hex') })),
      },
    );
  }

  // SyncGroup v0–v3: the leader's assignments of two members (kafkajs's MemberAssignment); v3 static `pod-0`
  const assignments = [
    { memberId: MEMBER, memberAssignment: MemberAssignment.encode({ version: 0, assignment: { orders: [0, 2], audit: [1] } }) },
    { memberId: OTHER, memberAssignment: MemberAssignment.encode({ version: 0, assignment: { orders: [1] } }) },
  ];
  for (let version = 0; version <= 3; version++) {
    const groupInstanceId = version >= 3 ? 'pod-0' : null;
    await captureRequest(
      `kafkajs-sync-group-v${version}`,
      'syncGroup',
      14,
      version,
      { groupId: 'billing', generationId: 7, memberId: MEMBER, groupInstanceId, groupAssignment: assignments },
      {
        groupId: 'billing',
        generationId: 7,
        memberId: MEMBER,
        groupInstanceId,
        assignments: assignments.map((a) => ({ memberId: a.memberId, assignmentHex: a.memberAssignment.toString('hex') })),
      },
    );
  }

  for (let version = 0; version <= 3; version++) {
    const groupInstanceId = version >= 3 ? 'pod-0' : null;
    await captureRequest(
      `kafkajs-heartbeat-v${version}`,
      'heartbeat',
      12,
      version,
      { groupId: 'billing', groupGenerationId: 7, memberId: MEMBER, groupInstanceId },
      { groupId: 'billing', generationId: 7, memberId: MEMBER, groupInstanceId },
    );
  }

  // LeaveGroup v0–v1 (evq's codec; kafkajs's v2–v3 leave several members)
  for (const version of [0, 1]) {
    await captureRequest(
      `kafkajs-leave-group-v${version}`,
      'leaveGroup',
      13,
      version,
      { groupId: 'billing', memberId: MEMBER },
      { groupId: 'billing', memberId: MEMBER },
    );
  }

  // OffsetCommit v2–v5: three partitions of two topics (an offset beyond 2^32, metadata null, text and
  // empty); v2–v4 a retention of one day (v5 has none)
  for (let version = 2; version <= 5; version++) {
    await captureRequest(
      `kafkajs-offset-commit-v${version}`,
      'offsetCommit',
      8,
      version,
      {
        groupId: 'billing',
        groupGenerationId: 7,
        memberId: MEMBER,
        retentionTime: 86400000,
        topics: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, offset: '42' },
              { partition: 2, offset: String(2 ** 40), metadata: 'checkpoint-7' },
            ],
          },
          { topic: 'audit', partitions: [{ partition: 1, offset: '0', metadata: '' }] },
        ],
      },
      {
        groupId: 'billing',
        generationId: 7,
        memberId: MEMBER,
        retentionTimeMs: version <= 4 ? 86400000 : -1,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 42, committedMetadata: null },
              { partitionIndex: 2, committedOffset: 2 ** 40, committedMetadata: 'checkpoint-7' },
            ],
          },
          { name: 'audit', partitions: [{ partitionIndex: 1, committedOffset: 0, committedMetadata: '' }] },
        ],
      },
    );
  }

  // OffsetFetch v1–v4 for three partitions of two topics; and v4 with no topics, which kafkajs writes as a
  // null array (writeNullableArray): every partition the group committed
  for (let version = 1; version <= 4; version++) {
    await captureRequest(
      `kafkajs-offset-fetch-v${version}`,
      'offsetFetch',
      9,
      version,
      {
        groupId: 'billing',
        topics: [
          { topic: 'orders', partitions: [{ partition: 0 }, { partition: 2 }] },
          { topic: 'audit', partitions: [{ partition: 1 }] },
        ],
      },
      {
        groupId: 'billing',
        topics: [
          { name: 'orders', partitionIndexes: [0, 2] },
          { name: 'audit', partitionIndexes: [1] },
        ],
      },
    );
  }
  await captureRequest(
    'kafkajs-offset-fetch-v4-all-topics',
    'offsetFetch',
    9,
    4,
    { groupId: 'billing', topics: [] },
    { groupId: 'billing', topics: null },
  );

  // The consumer protocol's blobs alone (not frames), as kafkajs's assigners build them: RoundRobinAssigner's
  // v0 subscription and assignment (user data defaults to empty BYTES, not null); a v1 subscription, which
  // kafkajs writes without owned_partitions; a v1 assignment with user data
  for (const [name, bytes, decoded] of /** @type {const} */ ([
    [
      'kafkajs-consumer-subscription-v0',
      MemberMetadata.encode({ version: 0, topics: ['orders', 'audit'] }),
      { version: 0, topics: ['orders', 'audit'], userDataHex: '', ownedPartitions: [] },
    ],
    [
      'kafkajs-consumer-subscription-v1',
      MemberMetadata.encode({ version: 1, topics: ['orders'], userData: Buffer.from([0x00, 0xff, 0x10]) }),
      { version: 1, topics: ['orders'], userDataHex: '00ff10', ownedPartitions: [] },
    ],
    [
      'kafkajs-consumer-assignment-v0',
      MemberAssignment.encode({ version: 0, assignment: { orders: [0, 2], audit: [1] } }),
      {
        version: 0,
        assigned: [
          { topic: 'orders', partitions: [0, 2] },
          { topic: 'audit', partitions: [1] },
        ],
        userDataHex: '',
      },
    ],
    [
      'kafkajs-consumer-assignment-v1',
      MemberAssignment.encode({ version: 1, assignment: { orders: [1] }, userData: Buffer.from('gen-7') }),
      { version: 1, assigned: [{ topic: 'orders', partitions: [1] }], userDataHex: Buffer.from('gen-7').toString('hex') },
    ],
  ])) {
    await save(name, bytes, { source: 'kafkajs 2.2.4 src/consumer/assignerProtocol.js', ...decoded });
  }
}
