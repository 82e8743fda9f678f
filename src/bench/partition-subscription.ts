/**
 * A bench-only push subscription of every partition of a topic: one WebSocket to `/ws` (binary subprotocol),
 * one `subscribe` without a partition (the broker then delivers every partition, and those the topic gets
 * later), and the deliver frames decoded with their partition (`deliver-p` / `sparse-p`, docs/PROTOCOL.md).
 * Each record is handed to `onRecord` as it is decoded (no queue: the bench only reads its stamp), with its
 * `partition` set. It does not reconnect: a lost connection ends it with the error (the run reports what it
 * then never got as undelivered).
 *
 * It exists because the client library's subscription tracks one offset (partition 0) today; it can be retired
 * once `client.subscribe` carries the partition of each record of a multi-partition topic.
 */

import WebSocket from 'ws';
import { evqEndpoint } from '../client/evq/endpoint.js';
import { EvqError, errorFromWire } from '../errors.js';
import { TRUSTED_CODEC_LIMITS, forEachRecord } from '../protocol/record-codec.js';
import type { EvqRecord } from '../protocol/record.js';
import { decodeBrokerControl, encodeControl, parseControlJson } from '../protocol/ws-control.js';
import { CLOSE_CODES, SUBPROTOCOL_BINARY, decodeDeliveryFrame } from '../protocol/ws-frames.js';

const SUB = 1;

export interface PartitionSubscriptionOptions {
  url: string;
  token: string | undefined;
  topic: string;
  filter: string | null;
  timeoutMs: number;
  onRecord: (record: EvqRecord) => void;
}

export class PartitionSubscription {
  /** Resolves once the broker confirmed the subscription (records produced from then on are delivered). */
  readonly ready: Promise<void>;
  /** Resolves with null when closed by the caller, with the error when the subscription ended on its own. */
  readonly ended: Promise<Error | null>;
  readonly #ws: WebSocket;
  readonly #options: PartitionSubscriptionOptions;
  /** Per partition, the next offset to deliver (records below it are not this subscription's). */
  readonly #next: number[] = [];
  #confirmed = false;
  #closing = false;
  #done = false;
  #resolveEnded!: (error: Error | null) => void;
  #onConfirmed: () => void = () => undefined;

  constructor(options: PartitionSubscriptionOptions) {
    this.#options = options;
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    const endpoint = evqEndpoint(new URL(options.url));
    const headers: Record<string, string> = {};
    if (options.token !== undefined && options.token !== '') headers.authorization = `Bearer ${options.token}`;
    this.#ws = new WebSocket(endpoint.ws, [SUBPROTOCOL_BINARY], { headers, perMessageDeflate: false, handshakeTimeout: options.timeoutMs });
    this.#ws.binaryType = 'nodebuffer';
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#end(new EvqError('EVQ_ERR_TIMEOUT', `${endpoint.display} did not confirm the subscription within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      void this.ended.then((error) => {
        clearTimeout(timer);
        if (!this.#confirmed) reject(error ?? new EvqError('EVQ_ERR_CLOSED', 'the subscription was closed before it started'));
      });
      this.#onConfirmed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.ready.catch(() => undefined);
    this.#ws.on('open', () => {
      this.#ws.send(
        encodeControl({
          op: 'subscribe',
          sub: SUB,
          topic: options.topic,
          from: 'latest',
          ...(options.filter === null ? {} : { filter: options.filter }),
        }),
      );
    });
    this.#ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        if (isBinary) this.#onDelivery(data);
        else this.#onControl(data.toString('utf8'));
      } catch (error) {
        this.#end(error instanceof Error ? error : new Error(String(error)));
        this.#ws.terminate();
      }
    });
    this.#ws.on('error', (error) =>
      this.#end(new EvqError('EVQ_ERR_UNREACHABLE', `the subscription to ${endpoint.display} failed: ${error.message}`, { cause: error })),
    );
    this.#ws.on('close', (code, reason) => {
      if (this.#closing) this.#end(null);
      else if (code === CLOSE_CODES.slowConsumer) {
        this.#end(
          new EvqError(
            'EVQ_ERR_SLOW_CONSUMER',
            `the broker dropped the subscription as a slow consumer (${reason.toString() || 'too far behind'})`,
          ),
        );
      } else
        this.#end(
          new EvqError(
            'EVQ_ERR_CLOSED',
            `the broker closed the subscription (code ${code}${reason.length > 0 ? `, ${reason.toString()}` : ''})`,
          ),
        );
    });
  }

  #onControl(text: string): void {
    const message = decodeBrokerControl(parseControlJson(text));
    if (message === null) return; // a kind this reader does not know
    if (message.op === 'subscribed' && message.sub === SUB) {
      for (const p of message.partitions ?? [{ partition: 0, offset: message.offset }]) this.#next[p.partition] = p.offset;
      this.#confirmed = true;
      this.#onConfirmed();
    } else if ((message.op === 'error' || message.op === 'closed') && (message.sub === SUB || message.sub === undefined)) {
      this.#end(errorFromWire(message.code, message.message));
      this.#ws.terminate();
    }
  }

  #onDelivery(data: Buffer): void {
    const frame = decodeDeliveryFrame(data);
    if (frame.sub !== SUB || this.#done) return;
    const partition = frame.partition;
    const offsets = frame.offsets;
    const onRecord = this.#options.onRecord;
    let i = 0;
    const visit = (record: EvqRecord): void => {
      if (offsets !== null) record.offset = offsets[i++] as number;
      record.partition = partition;
      const next = this.#next[partition];
      if (next !== undefined && record.offset < next) return; // delivered already (a resent batch)
      this.#next[partition] = record.offset + 1;
      onRecord(record);
    };
    // a partition the topic got after the subscription started begins at 0
    const fromOffset = offsets === null ? (this.#next[partition] ?? 0) : 0;
    forEachRecord(frame.batch, this.#options.topic, visit, { fromOffset, partition, limits: TRUSTED_CODEC_LIMITS });
  }

  #end(error: Error | null): void {
    if (this.#done) return;
    this.#done = true;
    this.#resolveEnded(error);
  }

  async close(): Promise<void> {
    if (!this.#done) {
      this.#closing = true;
      if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.terminate();
      else if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(CLOSE_CODES.normal);
      const timer = setTimeout(() => this.#ws.terminate(), 1000);
      await this.ended;
      clearTimeout(timer);
    }
  }
}
