/**
 * Fast JetStream publishing: plain publishes whose reply subject is `<inbox>.<batch>.<index>` under one shared
 * inbox, with one wildcard subscription collecting every publish acknowledgement. Unlike awaiting
 * `js.publish()` (a request with its own promise and timer per message), a batch costs one map entry, one
 * timer and one promise, and an acknowledgement is read without JSON.parse. The caller bounds how many
 * batches are pending (the Batcher's window).
 */

import { createInbox } from '@nats-io/transport-node';
import type { Msg, MsgHdrs, NatsConnection, Subscription as NatsSub } from '@nats-io/transport-node';
import { EvqConnectionError, EvqError } from '../../errors.js';

export interface Publication {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
}

/** What became of one publish: its stream sequence, the refusal, or undefined (no answer in time). */
export type PublishResult = number | EvqError | undefined;

interface PendingBatch {
  readonly results: PublishResult[];
  remaining: number;
  done: (() => void) | undefined;
}

interface PubAckJson {
  seq?: number;
  error?: { code?: number; err_code?: number; description?: string };
}

/** `{"stream":` — every successful publish acknowledgement starts so; `"seq":` follows the stream name. */
const STREAM_PREFIX = Buffer.from('{"stream":');
const SEQ_KEY = Buffer.from('"seq":');

/** The sequence in a successful acknowledgement (`{"stream":"S","seq":42,...}`), or -1 when it is not one. */
export function fastAckSeq(data: Uint8Array): number {
  if (data.length < STREAM_PREFIX.length + SEQ_KEY.length + 1) return -1;
  for (let i = 0; i < STREAM_PREFIX.length; i++) if (data[i] !== STREAM_PREFIX[i]) return -1;
  // the stream name is a JSON string without quotes inside (stream names cannot hold them)
  let at = data.indexOf(0x22, STREAM_PREFIX.length + 1); // closing quote of the name
  if (at < 0) return -1;
  at++;
  if (data[at] !== 0x2c) return -1; // ,
  at++;
  for (let i = 0; i < SEQ_KEY.length; i++) if (data[at + i] !== SEQ_KEY[i]) return -1;
  at += SEQ_KEY.length;
  let seq = 0;
  let digits = 0;
  for (; at < data.length; at++, digits++) {
    const c = data[at] as number;
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
  }
  return digits === 0 || digits > 15 ? -1 : seq;
}

/** JetStream's API error code for "message size exceeds maximum allowed". */
const MESSAGE_TOO_LARGE = 10054;

function refusal(error: PubAckJson['error']): EvqError {
  const description = error?.description ?? 'no sequence in the acknowledgement';
  const tooLarge = error?.err_code === MESSAGE_TOO_LARGE || /size exceeds|too large/i.test(description);
  return new EvqError(tooLarge ? 'EVQ_ERR_MESSAGE_TOO_LARGE' : 'EVQ_ERR_INTERNAL', `JetStream refused the publish: ${description}`);
}

/** The outcome an acknowledgement message stands for. */
export function readAck(msg: Pick<Msg, 'data' | 'headers'>): number | EvqError {
  if (msg.headers?.hasError === true || msg.data.length === 0) {
    const code = msg.headers?.code ?? 0;
    return code === 503
      ? new EvqError('EVQ_ERR_UNAVAILABLE', 'no JetStream stream answered the publish (503 no responders)')
      : new EvqError('EVQ_ERR_INTERNAL', `JetStream refused the publish: ${code} ${msg.headers?.description ?? ''}`.trim());
  }
  const seq = fastAckSeq(msg.data);
  if (seq > 0) return seq;
  let ack: PubAckJson;
  try {
    ack = JSON.parse(Buffer.from(msg.data).toString('utf8')) as PubAckJson;
  } catch {
    return new EvqError('EVQ_ERR_INTERNAL', 'JetStream sent an unreadable publish acknowledgement');
  }
  if (ack.error !== undefined || typeof ack.seq !== 'number') return refusal(ack.error);
  return ack.seq;
}

export class AckPublisher {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #sub: NatsSub;
  readonly #batches = new Map<number, PendingBatch>();
  #nextBatch = 0;
  #closed = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    const inbox = createInbox();
    this.#prefix = `${inbox}.`;
    this.#sub = nc.subscribe(`${inbox}.*.*`, { callback: (_error, msg) => this.#onAck(msg) });
  }

  #onAck(msg: Msg): void {
    const subject = msg.subject;
    const dot = subject.lastIndexOf('.');
    const batch = this.#batches.get(Number(subject.slice(this.#prefix.length, dot)));
    if (batch === undefined) return; // timed out and given up on
    const index = Number(subject.slice(dot + 1));
    if (!(index >= 0 && index < batch.results.length) || batch.results[index] !== undefined) return;
    batch.results[index] = readAck(msg);
    if (--batch.remaining === 0) batch.done?.();
  }

  /**
   * Publishes a batch and waits until every message has its answer, for at most `timeoutMs` per attempt; with
   * `resends` > 0 the unanswered ones are published again (same reply subjects, so a late first answer still
   * counts — only safe when each carries a `Nats-Msg-Id`). One result per item, in order.
   */
  async publishBatch(items: readonly Publication[], timeoutMs: number, resends = 0): Promise<PublishResult[]> {
    // closed: nothing more goes out (held delayed messages released by the close must not be published early)
    if (this.#closed) throw new EvqConnectionError('EVQ_ERR_CLOSED', 'the connection was closed');
    const id = this.#nextBatch++;
    const batch: PendingBatch = {
      results: new Array<PublishResult>(items.length).fill(undefined),
      remaining: items.length,
      done: undefined,
    };
    this.#batches.set(id, batch);
    const prefix = `${this.#prefix}${id}.`;
    try {
      for (let attempt = 0; attempt <= resends && batch.remaining > 0; attempt++) {
        for (let i = 0; i < items.length; i++) {
          if (batch.results[i] !== undefined) continue;
          const item = items[i] as Publication;
          try {
            this.#nc.publish(
              item.subject,
              item.data,
              item.headers === undefined ? { reply: prefix + i } : { reply: prefix + i, headers: item.headers },
            );
          } catch (error) {
            throw new EvqConnectionError(
              'EVQ_ERR_CLOSED',
              `cannot publish to NATS: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
          }
        }
        if (batch.remaining === 0) break;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          batch.done = resolve;
          timer = setTimeout(resolve, timeoutMs);
        });
        clearTimeout(timer);
        if (this.#closed) throw new EvqConnectionError('EVQ_ERR_CLOSED', 'the connection was closed');
      }
      return batch.results;
    } finally {
      this.#batches.delete(id);
    }
  }

  close(): void {
    this.#closed = true;
    this.#sub.unsubscribe();
    for (const batch of this.#batches.values()) batch.done?.();
    this.#batches.clear();
  }
}
