/**
 * The Kafka door of `evq serve`: a TCP server on `--kafka-port` whose connections speak Kafka's protocol to
 * the same storage, topics, partitions and groups as the HTTP/WebSocket API. One broker (one node id) is
 * controller, coordinator and leader of every partition.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { listen } from '../listen.js';
import { KafkaConnection } from './connection.js';
import type { KafkaContext, KafkaListenerConfig } from './context.js';
import { ProducerState } from './producer-state.js';
import type { BrokerContext } from '../context.js';

export interface KafkaListenerOptions extends Partial<Omit<KafkaListenerConfig, 'advertisedPort' | 'advertisedHost'>> {
  advertisedHost?: string | undefined;
  host: string;
  /** 0 picks a free port. */
  port: number;
  maxConnections: number;
  /** Told why a connection was closed by the broker (a request it does not take). */
  onConnectionError?: (message: string) => void;
}

export interface KafkaListener {
  readonly host: string;
  readonly port: number;
  /** `host:port` as Metadata names it. */
  readonly advertised: string;
  readonly connectionCount: number;
  /** Stops accepting and closes every connection (requests in flight are dropped: clients retry elsewhere). */
  close(): Promise<void>;
}

export const KAFKA_DEFAULTS = {
  nodeId: 1,
  clusterId: 'evq',
  maxFrameBytes: 100 * 1024 * 1024,
  maxInFlight: 64,
  maxFetchWaitMs: 30_000,
  maxFetchBytes: 64 * 1024 * 1024,
} as const;

export async function startKafkaListener(broker: BrokerContext, options: KafkaListenerOptions): Promise<KafkaListener> {
  const server = createServer({ noDelay: true });
  const connections = new Set<KafkaConnection>();
  const config: KafkaListenerConfig = {
    nodeId: options.nodeId ?? KAFKA_DEFAULTS.nodeId,
    clusterId: options.clusterId ?? KAFKA_DEFAULTS.clusterId,
    advertisedHost: options.advertisedHost ?? options.host,
    advertisedPort: 0,
    maxFrameBytes: options.maxFrameBytes ?? Math.max(KAFKA_DEFAULTS.maxFrameBytes, broker.limits.maxBatchBytes * 2),
    maxInFlight: options.maxInFlight ?? KAFKA_DEFAULTS.maxInFlight,
    maxFetchWaitMs: options.maxFetchWaitMs ?? KAFKA_DEFAULTS.maxFetchWaitMs,
    maxFetchBytes: options.maxFetchBytes ?? KAFKA_DEFAULTS.maxFetchBytes,
    token: options.token ?? null,
  };
  const ctx: KafkaContext = { broker, config, producers: new ProducerState() };
  const onError = options.onConnectionError ?? (() => undefined);
  server.on('connection', (socket: Socket) => {
    if (connections.size >= options.maxConnections) {
      socket.destroy();
      return;
    }
    const connection = new KafkaConnection(ctx, socket, onError);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });
  await listen(server, options.host, options.port, '--kafka-port', 'Kafka port');
  const address = server.address() as AddressInfo;
  config.advertisedPort = address.port;
  let closing: Promise<void> | null = null;
  return {
    host: address.address,
    port: address.port,
    advertised: `${config.advertisedHost.includes(':') ? `[${config.advertisedHost}]` : config.advertisedHost}:${address.port}`,
    get connectionCount() {
      return connections.size;
    },
    close: () => {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const connection of connections) connection.close();
      });
      return closing;
    },
  };
}
