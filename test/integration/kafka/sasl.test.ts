/**
 * SASL/PLAIN on the Kafka listener of a broker with a token, against real clients: kafkajs and kcat with the
 * token as password produce and list; a wrong password fails with an authentication error and the
 * connection is closed; a client without SASL gets no further than ApiVersions. kafkajs's own connection,
 * told the broker has no SaslAuthenticate, takes the SaslHandshake v0 path (the bare token) and works too.
 * A broker without a token takes any PLAIN credentials.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { API_KEY } from '../../../src/protocol/kafka/api-keys.js';
import { frame, readResponseHeader, writeRequestHeader } from '../../../src/protocol/kafka/header.js';
import { KafkaReader } from '../../../src/protocol/kafka/reader.js';
import { readSaslAuthenticateResponse, writeSaslAuthenticateRequest, writeSaslHandshakeRequest } from '../../../src/protocol/kafka/sasl.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
const require = createRequire(import.meta.url);
// not spawnSync: the broker answers from this process's event loop
const run = promisify(execFile);

const TOKEN = 'sasl-test-token-0123456789';
let broker: TestBroker;
const closed: string[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ token: TOKEN, kafkaPort: 0, onKafkaConnectionError: (m) => closed.push(m) });
});
afterAll(async () => {
  await broker?.close();
});

function client(broker: TestBroker, sasl: KafkaConfig['sasl'] | undefined): Kafka {
  return new Kafka({
    clientId: 'sasl-test',
    brokers: [`127.0.0.1:${broker.kafkaPort}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3000,
    ...(sasl === undefined ? {} : { sasl }),
  });
}

async function messageCount(topic: string): Promise<number | null> {
  const res = await fetch(`${broker.url}/topics/${topic}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (res.status === 404) return null;
  return ((await res.json()) as { messageCount: number }).messageCount;
}

describe('kafkajs with SASL/PLAIN', () => {
  it('produces with the token as password (any username)', async () => {
    const producer = client(broker, { mechanism: 'plain', username: 'u', password: TOKEN }).producer();
    await producer.connect();
    try {
      const [ack] = await producer.send({ topic: 'secured', messages: [{ value: 'one' }, { value: 'two' }] });
      expect(ack?.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
    expect(await messageCount('secured')).toBe(2);
  });

  it('fails to connect with a wrong password: an authentication error, and the broker closes the connection', async () => {
    closed.length = 0;
    const producer = client(broker, { mechanism: 'plain', username: 'u', password: 'wrong' }).producer();
    const error = (await producer.connect().then(
      () => null,
      (e: unknown) => e,
    )) as Error | null;
    expect(error?.name).toBe('KafkaJSSASLAuthenticationError');
    expect(error?.message).toMatch(/SASL PLAIN authentication failed/);
    await producer.disconnect();
    expect(closed).toEqual([]); // answered, then closed: not a refusal of an unreadable request
  });

  it('a client without SASL cannot produce: the connection is closed after ApiVersions', async () => {
    closed.length = 0;
    const producer = client(broker, undefined).producer();
    const error = await producer
      .connect()
      .then(() => producer.send({ topic: 'unsecured', messages: [{ value: 'x' }] }))
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    await producer.disconnect();
    expect(error).toBeInstanceOf(Error);
    expect(closed.some((m) => /before SASL authentication/.test(m))).toBe(true);
    expect(await messageCount('unsecured')).toBeNull();
  });
});

/** A raw socket to the listener: `replies` collects whole response frames, `ended` resolves when the broker closes it. */
async function rawConnection(port: number): Promise<{ socket: Socket; replies: Buffer[]; ended: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const replies: Buffer[] = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      replies.push(pending.subarray(4, 4 + pending.readInt32BE(0)));
      pending = pending.subarray(4 + pending.readInt32BE(0));
    }
  });
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, replies, ended };
}

describe('a failed SaslAuthenticate on the wire', () => {
  it('is answered SASL_AUTHENTICATION_FAILED with a one-line message, then the broker closes the connection', async () => {
    const { socket, replies, ended } = await rawConnection(broker.kafkaPort as number);
    const request = (apiKey: number, correlationId: number, body: (w: Parameters<typeof writeSaslHandshakeRequest>[0]) => void) =>
      frame((w) => {
        writeRequestHeader(w, { apiKey, apiVersion: 1, correlationId, clientId: 'raw' });
        body(w);
      });
    socket.write(request(API_KEY.SaslHandshake, 1, (w) => writeSaslHandshakeRequest(w, 1, { mechanism: 'PLAIN' })));
    socket.write(
      request(API_KEY.SaslAuthenticate, 2, (w) => writeSaslAuthenticateRequest(w, 1, { authBytes: Buffer.from('\u0000u\u0000wrong') })),
    );
    await ended;
    expect(replies).toHaveLength(2);
    const r = new KafkaReader(replies[1] as Buffer);
    expect(readResponseHeader(r, 0).correlationId).toBe(2);
    const answer = readSaslAuthenticateResponse(r, 1);
    expect(answer.errorCode).toBe(58);
    expect(answer.errorMessage).toMatch(/^SASL\/PLAIN authentication failed: the password is not this broker's token[^\n]*$/);
  });

  it('closes a connection that announces a frame over 512 KiB before it has authenticated', async () => {
    closed.length = 0;
    const { socket, ended } = await rawConnection(broker.kafkaPort as number);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(1024 * 1024);
    socket.write(prefix);
    await ended;
    expect(closed.length).toBe(1);
  });
});

/** A kafkajs Connection that believes the broker has no SaslAuthenticate: SaslHandshake v0, then the bare token. */
async function kafkajsV0Connection(port: number, password: string) {
  const Connection = require('kafkajs/src/network/connection') as new (o: object) => {
    connect(): Promise<void>;
    authenticate(): Promise<void>;
    setVersions(v: object): void;
    setSupportAuthenticationProtocol(b: boolean): void;
    send(request: unknown): Promise<{ topics: unknown[]; brokers: { nodeId: number }[] }>;
    disconnect(): Promise<void>;
  };
  const socketFactory = require('kafkajs/src/network/socketFactory') as () => unknown;
  const { createLogger, LEVELS } = require('kafkajs/src/loggers') as { createLogger(o: object): unknown; LEVELS: { NOTHING: number } };
  const { requests, lookup } = require('kafkajs/src/protocol/requests') as {
    requests: { Metadata: unknown };
    lookup(v: object): (key: number, def: unknown) => (args: object) => unknown;
  };
  const versions = {
    [API_KEY.SaslHandshake]: { minVersion: 0, maxVersion: 0 },
    [API_KEY.Metadata]: { minVersion: 0, maxVersion: 0 },
  };
  const connection = new Connection({
    host: '127.0.0.1',
    port,
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined }),
    socketFactory: socketFactory(),
    requestTimeout: 5000,
    connectionTimeout: 3000,
    sasl: { mechanism: 'plain', username: 'u', password },
  });
  connection.setVersions(versions);
  connection.setSupportAuthenticationProtocol(false);
  await connection.connect();
  const metadata = () => connection.send(lookup(versions)(API_KEY.Metadata, requests.Metadata)({ topics: [] }));
  return { connection, metadata };
}

describe('SaslHandshake v0 (the bare token after the handshake, KIP-43)', () => {
  it('kafkajs authenticates with the token and then gets Metadata', async () => {
    const { connection, metadata } = await kafkajsV0Connection(broker.kafkaPort as number, TOKEN);
    try {
      await connection.authenticate();
      const reply = await metadata();
      expect(reply.brokers.map((b) => b.nodeId)).toEqual([1]);
    } finally {
      await connection.disconnect();
    }
  });

  it('a wrong password: the broker closes the connection without a reply, as Kafka does', async () => {
    const { connection } = await kafkajsV0Connection(broker.kafkaPort as number, 'wrong');
    try {
      await expect(connection.authenticate()).rejects.toThrow(/Connection closed by the server/);
    } finally {
      await connection.disconnect();
    }
  });
});

describe('a broker without a token', () => {
  it('takes any PLAIN credentials, so a client configured for SASL works against a dev broker', async () => {
    const dev = await startTestBroker({ kafkaPort: 0, memory: true });
    try {
      const producer = client(dev, { mechanism: 'plain', username: 'anyone', password: 'anything' }).producer();
      await producer.connect();
      const [ack] = await producer.send({ topic: 'dev', messages: [{ value: 'x' }] });
      expect(ack?.errorCode).toBe(0);
      await producer.disconnect();
    } finally {
      await dev.close();
    }
  });
});

describe.skipIf(!hasKcat)('kcat with SASL/PLAIN', () => {
  const sasl = (password: string) => [
    '-X',
    'security.protocol=SASL_PLAINTEXT',
    '-X',
    'sasl.mechanisms=PLAIN',
    '-X',
    'sasl.username=u',
    '-X',
    `sasl.password=${password}`,
  ];

  it('lists metadata and produces with the token', async () => {
    const brokerAddress = `127.0.0.1:${broker.kafkaPort}`;
    const produced = await run('sh', [
      '-c',
      `printf 'a\\nb\\nc\\n' | kcat -b ${brokerAddress} ${sasl(TOKEN).join(' ')} -P -t kcat-secured`,
    ]);
    expect(produced.stderr).toBe('');
    expect(await messageCount('kcat-secured')).toBe(3);
    const listed = await run('kcat', ['-b', brokerAddress, ...sasl(TOKEN), '-L', '-J', '-m', '5']);
    const meta = JSON.parse(listed.stdout) as { topics: { topic: string }[] };
    expect(meta.topics.map((t) => t.topic)).toContain('kcat-secured');
  });

  it('fails with a wrong password, and without SASL', async () => {
    const brokerAddress = `127.0.0.1:${broker.kafkaPort}`;
    const wrong = await run('kcat', ['-b', brokerAddress, ...sasl('wrong'), '-L', '-m', '2']).then(
      () => null,
      (e: { stderr: string }) => e,
    );
    expect(wrong?.stderr).toMatch(/SASL authentication error: SASL\/PLAIN authentication failed: the password is not this broker's token/);
    const plain = await run('kcat', ['-b', brokerAddress, '-L', '-m', '2']).then(
      () => null,
      (e: { stderr: string }) => e,
    );
    expect(plain).not.toBeNull();
  });
});
