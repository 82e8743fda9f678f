import type { RequestHeader } from '../../protocol/kafka/header.js';
import type { KafkaReader } from '../../protocol/kafka/reader.js';
import type { KafkaWriter } from '../../protocol/kafka/writer.js';
import type { KafkaContext } from './context.js';

/** What one connection knows of its peer. */
export interface KafkaSession {
  /** `host:port` of the peer, for logs and group member ids. */
  readonly remote: string;
  /** True once SASL succeeded, or from the start when the broker has no token. */
  authenticated: boolean;
  /** The mechanism chosen by SaslHandshake (null before). */
  saslMechanism: string | null;
  /**
   * Where SASL is: `start` (no handshake yet), `authenticate` (after a v1 handshake: SaslAuthenticate next),
   * `raw-token` (after a v0 handshake: the next frame is the bare SASL token, no Kafka header, KIP-43),
   * `done` (authenticated; no second exchange, the session lifetime is unlimited).
   */
  saslStage: 'start' | 'authenticate' | 'raw-token' | 'done';
  /** Set by a handler whose reply must be the last: the connection closes once the replies so far are out. */
  closeAfterReplies: boolean;
}

/** A request as a handler gets it: the parsed header, the body still to read, the connection's state. */
export interface KafkaRequest {
  header: RequestHeader;
  body: KafkaReader;
  session: KafkaSession;
  /** Aborts when the connection closes (a long-polling Fetch stops waiting). */
  signal: AbortSignal;
}

/** Writes a response body; null: no response at all (a Produce with acks 0). */
export type KafkaAnswer = ((w: KafkaWriter) => void) | null;

/** One API's handler: reads the body of any advertised version and answers it. */
export type KafkaHandler = (ctx: KafkaContext, request: KafkaRequest) => KafkaAnswer | Promise<KafkaAnswer>;
