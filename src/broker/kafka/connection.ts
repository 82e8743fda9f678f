/**
 * One Kafka client connection: frames read off the socket (the size checked against the frame limit before
 * anything is allocated), each request started as soon as it is whole (so a pipelining producer's appends
 * share fsyncs), and the replies written strictly in request order, as Kafka clients require. At most
 * `maxInFlight` requests wait for their replies; past that the socket is not read until one goes out.
 */
import type { Socket } from 'node:net';
import { FRAME_SIZE_BYTES, frameSize } from '../../protocol/kafka/header.js';
import type { KafkaContext } from './context.js';
import { ConnectionRefusal, dispatch } from './dispatch.js';
import type { KafkaSession } from './request.js';
import { MAX_UNAUTHENTICATED_FRAME_BYTES, saslRawTokenReply } from './sasl.js';

interface Pending {
  done: boolean;
  reply: Buffer | null;
}

export class KafkaConnection {
  readonly session: KafkaSession;
  readonly #abort = new AbortController();
  readonly #pending: Pending[] = [];
  /** The size prefix being read (fewer than 4 bytes came). */
  #prefix = Buffer.alloc(FRAME_SIZE_BYTES);
  #prefixFilled = 0;
  /** The frame being filled, once its size is known. */
  #frame: Buffer | null = null;
  #frameFilled = 0;
  #closed = false;
  #paused = false;

  constructor(
    private readonly ctx: KafkaContext,
    private readonly socket: Socket,
    private readonly onError: (message: string) => void,
  ) {
    this.session = {
      remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      authenticated: ctx.config.token === null,
      saslMechanism: null,
      saslStage: 'start',
      closeAfterReplies: false,
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#maybeResume());
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** Ends the connection: requests in flight stop waiting, their replies are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.#closed) {
      if (this.#frame === null) {
        const take = Math.min(FRAME_SIZE_BYTES - this.#prefixFilled, chunk.length - at);
        chunk.copy(this.#prefix, this.#prefixFilled, at, at + take);
        this.#prefixFilled += take;
        at += take;
        if (this.#prefixFilled < FRAME_SIZE_BYTES) return;
        let size: number;
        try {
          // before SASL only small frames are read, as Kafka does: an unauthenticated peer allocates little
          const limit = this.session.authenticated ? this.ctx.config.maxFrameBytes : MAX_UNAUTHENTICATED_FRAME_BYTES;
          size = frameSize(this.#prefix, limit) as number;
        } catch (error) {
          this.#refuse((error as Error).message);
          return;
        }
        this.#frame = Buffer.allocUnsafe(size);
        this.#frameFilled = 0;
      }
      const frame = this.#frame;
      const take = Math.min(frame.length - this.#frameFilled, chunk.length - at);
      chunk.copy(frame, this.#frameFilled, at, at + take);
      this.#frameFilled += take;
      at += take;
      if (this.#frameFilled === frame.length) {
        this.#frame = null;
        this.#prefixFilled = 0;
        this.#start(frame);
      }
    }
  }

  #start(frame: Buffer): void {
    if (this.session.saslStage === 'raw-token') {
      // after a SaslHandshake v0: the bare SASL token, no Kafka header (KIP-43)
      const reply = saslRawTokenReply(this.ctx, frame, this.session);
      if (reply === null) return this.#refuse('SASL/PLAIN authentication failed (after SaslHandshake v0)');
      this.#pending.push({ done: true, reply });
      this.#flush();
      return;
    }
    const pending: Pending = { done: false, reply: null };
    this.#pending.push(pending);
    if (this.#pending.length >= this.ctx.config.maxInFlight) this.#pause();
    dispatch(this.ctx, frame, this.session, this.#abort.signal).then(
      (reply) => {
        pending.done = true;
        pending.reply = reply;
        this.#flush();
      },
      (error: unknown) => {
        if (error instanceof ConnectionRefusal) this.#refuse(error.message);
        else {
          this.onError(`Kafka connection ${this.session.remote}: ${(error as Error).message}`);
          this.close();
        }
      },
    );
  }

  /** Writes every reply that is ready, in request order. */
  #flush(): void {
    if (this.#closed) return;
    while (this.#pending.length > 0 && (this.#pending[0] as Pending).done) {
      const { reply } = this.#pending.shift() as Pending;
      if (reply !== null && !this.socket.write(reply)) this.#pause();
    }
    if (this.session.closeAfterReplies && this.#pending.length === 0) {
      // a refusal Kafka answers and then hangs up on (a failed SASL authentication): the reply goes out first
      this.#closed = true;
      this.#abort.abort();
      this.socket.end(() => this.socket.destroy());
      setTimeout(() => this.socket.destroy(), 5000).unref(); // a peer that does not read its reply

      return;
    }
    this.#maybeResume();
  }

  #pause(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  #maybeResume(): void {
    if (this.#paused && !this.#closed && this.#pending.length < this.ctx.config.maxInFlight && !this.socket.writableNeedDrain) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  #refuse(why: string): void {
    this.onError(`Kafka connection ${this.session.remote} closed: ${why}`);
    this.close();
  }
}
