/**
 * Fast JetStream publishing: plain publishes whose reply subject is one token under a shared inbox, with
 * one wildcard subscription collecting every publish acknowledgement. Unlike awaiting `js.publish()` (a
 * request, with its own timer, per message), nothing here costs more than a map entry per pending ack; the
 * caller bounds how many are pending (the Batcher's window).
 */

import { createInbox } from 'nats';
import type { Msg, MsgHdrs, NatsConnection, Subscription as NatsSub } from 'nats';
import { EvqConnectionError, EvqError } from '../../errors.js';

interface Pending {
  resolve: (seq: number) => void;
  reject: (error: Error) => void;
}

interface PubAckJson {
  seq?: number;
  error?: { code?: number; err_code?: number; description?: string };
}

export class AckPublisher {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #sub: NatsSub;
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    const inbox = createInbox();
    this.#prefix = `${inbox}.`;
    this.#sub = nc.subscribe(`${inbox}.*`, { callback: (_error, msg) => this.#onAck(msg) });
  }

  #onAck(msg: Msg): void {
    const id = Number(msg.subject.slice(this.#prefix.length));
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (msg.headers?.hasError === true || msg.data.length === 0) {
      const code = msg.headers?.code ?? 0;
      pending.reject(
        code === 503
          ? new EvqError('EVQ_ERR_UNAVAILABLE', 'no JetStream stream answered the publish (503 no responders)')
          : new EvqError('EVQ_ERR_INTERNAL', `JetStream refused the publish: ${code} ${msg.headers?.description ?? ''}`.trim()),
      );
      return;
    }
    let ack: PubAckJson;
    try {
      ack = JSON.parse(Buffer.from(msg.data).toString('utf8')) as PubAckJson;
    } catch {
      pending.reject(new EvqError('EVQ_ERR_INTERNAL', 'JetStream sent an unreadable publish acknowledgement'));
      return;
    }
    if (ack.error !== undefined || typeof ack.seq !== 'number') {
      const description = ack.error?.description ?? 'no sequence in the acknowledgement';
      pending.reject(new EvqError(/maximum.*size|too large/i.test(description) ? 'EVQ_ERR_MESSAGE_TOO_LARGE' : 'EVQ_ERR_INTERNAL', `JetStream refused the publish: ${description}`));
      return;
    }
    pending.resolve(ack.seq);
  }

  /** Publishes one message; resolves with its stream sequence once JetStream has stored it. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs | undefined): Promise<number> {
    const id = this.#next++;
    const promise = new Promise<number>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#nc.publish(subject, data, { reply: this.#prefix + String(id), ...(headers !== undefined ? { headers } : {}) });
    return promise;
  }

  /** Publishes a batch and waits for all its acknowledgements, failing after `timeoutMs`. */
  async publishBatch(items: readonly { subject: string; data: Uint8Array; headers: MsgHdrs | undefined }[], timeoutMs: number): Promise<number[]> {
    const first = this.#next;
    const acks = items.map((item) => this.publish(item.subject, item.data, item.headers));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        for (let id = first; id < first + items.length; id++) this.#pending.delete(id);
        reject(new EvqConnectionError('EVQ_ERR_TIMEOUT', `JetStream did not acknowledge a batch within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([Promise.all(acks), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#sub.unsubscribe();
    for (const pending of this.#pending.values()) pending.reject(new EvqConnectionError('EVQ_ERR_CLOSED', 'the connection was closed'));
    this.#pending.clear();
  }
}
