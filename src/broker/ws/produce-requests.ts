import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { EvqError } from '../../errors.js';
import { TRUSTED_CODEC_LIMITS, decodeBatch } from '../../protocol/record-codec.js';
import type { MessageInput } from '../../protocol/record.js';
import type { AckControl, ControlIds, ProduceControl } from '../../protocol/ws-control.js';
import { FRAME, decodeProduceFrame } from '../../protocol/ws-frames.js';
import type { BrokerContext } from '../context.js';
import type { ProduceOptions, ProduceResult } from '../ingest.js';

const gunzipAsync = promisify(gunzip);

interface Prepared {
  topic: string;
  messages: MessageInput[];
  options: ProduceOptions;
}

/** How a connection answers its produce requests. */
export interface ProduceReplies {
  ack(frame: AckControl): void;
  /** A refused request (or frame), with the ids it named. */
  reject(err: unknown, ids: ControlIds): void;
}

/**
 * The produce requests of one WebSocket connection, JSON (`{"op":"produce"}`) or binary produce frames.
 * They are handed to the log in arrival order (so their offsets follow the order the client sent them) and
 * complete concurrently; each is answered with an ack or an error. A request that needs preparing
 * (decoding, inflating) holds back the ones after it until it is prepared; when none is being prepared, a
 * request starts at once.
 */
export class ProduceRequests {
  /** Settles when every request admitted so far has been prepared. */
  #admission: Promise<unknown> = Promise.resolve();
  /** Requests admitted whose preparation has not finished. */
  #preparing = 0;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly replies: ProduceReplies,
  ) {}

  /** A decoded JSON produce frame. */
  produceJson(frame: ProduceControl): void {
    const messages: MessageInput[] = frame.messages.map((m) => ({ value: m.value, key: m.key ?? null, headers: m.headers ?? null }));
    const dueAt = frame.dueAt ?? (frame.delayMs !== undefined ? this.ctx.clock.now() + frame.delayMs : undefined);
    const options: ProduceOptions = { dueAt, idempotencyKey: frame.idempotencyKey ?? null, partition: frame.partition ?? null };
    this.#admitPrepared(frame.req, () => ({ topic: frame.topic, messages, options }));
  }

  /** A binary produce frame, as it arrived. */
  produceFrame(data: Buffer): void {
    let req: number | undefined;
    try {
      if (data.length === 0 || data[0] !== FRAME.produce) throw new EvqError('EVQ_ERR_MALFORMED', 'unknown binary frame');
      const frame = decodeProduceFrame(data);
      req = frame.req;
      if (!frame.gzip && frame.idempotencyKey === null && frame.dueAt === 0) {
        // the fast path: the batch is checked in one pass and stored as the bytes that arrived (the frame is
        // ours once ws handed it over; the log stamps and numbers the batch in place and shares it)
        const { topic, batch } = frame;
        const partition = frame.partition ?? null;
        this.#admit(frame.req, () => this.ctx.ingest.produceEncoded(topic, batch, partition));
        return;
      }
      const decode = async (): Promise<MessageInput[]> => {
        const batch = frame.gzip ? await inflate(frame.batch, this.ctx.limits.maxBatchBytes * 2) : frame.batch;
        // the frame is bounded by maxPayload; the limits are checked by Ingest, with their own error codes
        return decodeBatch(batch, frame.topic, TRUSTED_CODEC_LIMITS).map((r) => ({
          value: r.value,
          key: r.key,
          headers: r.headers,
          timestamp: r.timestamp === 0 ? undefined : r.timestamp,
        }));
      };
      const options: ProduceOptions = {
        dueAt: frame.dueAt === 0 ? undefined : frame.dueAt,
        idempotencyKey: frame.idempotencyKey,
        partition: frame.partition ?? null,
      };
      this.#admitPrepared(frame.req, async () => ({ topic: frame.topic, messages: await decode(), options }));
    } catch (err) {
      this.replies.reject(err, req !== undefined ? { req } : {});
    }
  }

  /** Admits a request whose messages are prepared (decoded, inflated) first. */
  #admitPrepared(req: number, prepare: () => Prepared | Promise<Prepared>): void {
    this.#preparing++;
    const prepared = this.#admission.then(prepare);
    this.#admission = prepared.then(
      () => this.#prepared(),
      () => this.#prepared(),
    );
    this.#answer(
      req,
      prepared.then(({ topic, messages, options }) => ({ result: this.ctx.ingest.produce(topic, messages, options) })),
    );
  }

  #prepared(): void {
    this.#preparing--;
  }

  #admit(req: number, start: () => Promise<ProduceResult>): void {
    if (this.#preparing === 0) {
      this.#answer(req, Promise.resolve({ result: start() }));
      return;
    }
    this.#answer(
      req,
      this.#admission.then(() => ({ result: start() })),
    );
  }

  #answer(req: number, started: Promise<{ result: Promise<ProduceResult> }>): void {
    started
      .then(({ result }) => result)
      .then(
        (r) => this.replies.ack(ackFrame(req, r)),
        (err: unknown) => this.replies.reject(err, { req }),
      );
  }
}

/** The ack of a produce request: its offsets, or -1 for messages that wait in the delay queue. */
function ackFrame(req: number, result: ProduceResult): AckControl {
  if (result.delayed) return { op: 'ack', req, baseOffset: -1, lastOffset: -1, delayed: true };
  const ack: AckControl = {
    op: 'ack',
    req,
    baseOffset: result.baseOffset,
    lastOffset: result.lastOffset,
    duplicate: result.duplicate,
  };
  // an ack of partition 0 alone (every ack of a topic of one partition) is written as before partitions
  if (result.partition !== 0 || result.parts.length > 1) ack.partition = result.partition;
  if (result.parts.length > 1) ack.partitions = result.parts;
  if (result.placement !== null) ack.placement = result.placement;
  return ack;
}

async function inflate(data: Buffer, limit: number): Promise<Buffer> {
  try {
    return await gunzipAsync(data, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new EvqError('EVQ_ERR_BATCH_TOO_LARGE', `the inflated batch is larger than ${limit} bytes`);
    }
    throw new EvqError('EVQ_ERR_MALFORMED', 'the gzip batch does not inflate', { cause: err });
  }
}
