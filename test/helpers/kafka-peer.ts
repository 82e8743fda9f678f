/**
 * A raw Kafka peer on TCP (node:net) for the tests of the Kafka listener: it sends frames made with evq's
 * own codec (or any bytes), collects the response frames as they come and notes when the broker closed the
 * connection. Every peer made here is remembered: call {@link closePeers} in `afterEach`.
 */
import { connect, type Socket } from 'node:net';
import { frame, readResponseHeader, writeRequestHeader } from '../../src/protocol/kafka/header.js';
import { KafkaReader } from '../../src/protocol/kafka/reader.js';
import type { KafkaWriter } from '../../src/protocol/kafka/writer.js';
import { waitFor } from './wait.js';

export interface KafkaPeer {
  readonly socket: Socket;
  /** The response frames so far, without their size prefix. */
  readonly frames: Buffer[];
  readonly closed: boolean;
  send(bytes: Buffer): void;
  /** Sends one request and resolves with its reply's body (the header read, its correlation id checked). */
  call(request: Buffer, correlationId: number, headerVersion?: 0 | 1): Promise<KafkaReader>;
}

const peers = new Set<Socket>();

/** Connects to 127.0.0.1:`port`. */
export async function connectPeer(port: number): Promise<KafkaPeer> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  peers.add(socket);
  const frames: Buffer[] = [];
  let closed = false;
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = pending.readInt32BE(0);
      frames.push(pending.subarray(4, 4 + size));
      pending = pending.subarray(4 + size);
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    peers.delete(socket);
  });
  const send = (bytes: Buffer): void => void socket.write(bytes);
  return {
    socket,
    frames,
    get closed() {
      return closed;
    },
    send,
    call: async (request, correlationId, headerVersion = 0) => {
      const index = frames.length;
      send(request);
      await waitFor(() => frames.length > index || closed, { what: `the reply to request ${correlationId}` });
      if (frames.length <= index) throw new Error(`the broker closed the connection instead of answering request ${correlationId}`);
      const r = new KafkaReader(frames[index] as Buffer);
      const header = readResponseHeader(r, headerVersion);
      if (header.correlationId !== correlationId) throw new Error(`reply for ${header.correlationId}, expected ${correlationId}`);
      return r;
    },
  };
}

/** A request frame: the size, a request header (client id "evq-test"), then what `body` writes. */
export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, body: (w: KafkaWriter) => void): Buffer {
  return frame((w) => {
    writeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'evq-test' });
    body(w);
  });
}

/** Resolves once the broker has closed `peer`'s connection. */
export function closedByBroker(peer: KafkaPeer, what: string): Promise<boolean> {
  return waitFor(() => peer.closed, { what });
}

/** Destroys every peer still open. */
export function closePeers(): void {
  for (const socket of peers) socket.destroy();
  peers.clear();
}
