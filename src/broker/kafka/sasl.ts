/**
 * SASL/PLAIN on the Kafka listener: SaslHandshake v0–1 (the one mechanism is PLAIN) and SaslAuthenticate
 * v0–1, or after a v0 handshake the bare token framed by its INT32 length alone (KIP-43; kafkajs and
 * librdkafka take that path against a broker without SaslAuthenticate). The password must be the broker's
 * token (compared in constant time by `TokenAuth`); the username is any. With no token, any well-formed
 * PLAIN credentials succeed, so a client configured for SASL works against a dev broker.
 *
 * A failure is SASL_AUTHENTICATION_FAILED with a one-line message and then the connection closes, as Kafka
 * does (after a raw v0 token Kafka closes without a reply, and so does evq). A second exchange on one
 * connection, SaslAuthenticate before a handshake, or a mechanism other than PLAIN get Kafka's errors
 * (ILLEGAL_SASL_STATE, UNSUPPORTED_SASL_MECHANISM) and close too. The session lifetime is 0: unlimited, no
 * re-authentication (KIP-368).
 */
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import {
  readSaslAuthenticateRequest,
  readSaslHandshakeRequest,
  writeSaslAuthenticateResponse,
  writeSaslHandshakeResponse,
} from '../../protocol/kafka/sasl.js';
import { TokenAuth } from '../auth.js';
import type { KafkaContext } from './context.js';
import type { KafkaAnswer, KafkaRequest, KafkaSession } from './request.js';

export const SASL_MECHANISMS: readonly string[] = ['PLAIN'];

/** Largest frame read before a connection has authenticated (Kafka's `sasl.server.max.receive.size`). */
export const MAX_UNAUTHENTICATED_FRAME_BYTES = 512 * 1024;

const auths = new WeakMap<object, TokenAuth>();

/** The TokenAuth of a listener's token (made once per listener configuration). */
function tokenAuth(ctx: KafkaContext): TokenAuth {
  let auth = auths.get(ctx.config);
  if (auth === undefined) {
    auth = new TokenAuth(ctx.config.token ?? undefined);
    auths.set(ctx.config, auth);
  }
  return auth;
}

export function handleSaslHandshake(_ctx: KafkaContext, { header, body, session }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const { mechanism } = readSaslHandshakeRequest(body, version);
  let errorCode: number = KAFKA_ERROR.NONE;
  if (session.saslStage !== 'start') errorCode = KAFKA_ERROR.ILLEGAL_SASL_STATE;
  else if (!SASL_MECHANISMS.includes(mechanism)) errorCode = KAFKA_ERROR.UNSUPPORTED_SASL_MECHANISM;
  if (errorCode === KAFKA_ERROR.NONE) {
    session.saslMechanism = mechanism;
    session.saslStage = version === 0 ? 'raw-token' : 'authenticate';
  } else {
    session.closeAfterReplies = true;
  }
  return (w) => writeSaslHandshakeResponse(w, version, { errorCode, mechanisms: [...SASL_MECHANISMS] });
}

export function handleSaslAuthenticate(ctx: KafkaContext, { header, body, session }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const { authBytes } = readSaslAuthenticateRequest(body, version);
  let errorCode: number = KAFKA_ERROR.NONE;
  let errorMessage: string | null = null;
  if (session.saslStage !== 'authenticate') {
    errorCode = KAFKA_ERROR.ILLEGAL_SASL_STATE;
    errorMessage =
      session.saslStage === 'done'
        ? 'this connection has already authenticated'
        : session.saslStage === 'start'
          ? 'SaslAuthenticate before SaslHandshake: send SaslHandshake (mechanism PLAIN) first'
          : 'after a SaslHandshake v0 the SASL token comes without a Kafka header';
  } else {
    errorMessage = checkPlain(ctx, authBytes);
    if (errorMessage !== null) errorCode = KAFKA_ERROR.SASL_AUTHENTICATION_FAILED;
  }
  if (errorCode === KAFKA_ERROR.NONE) authenticated(session);
  else session.closeAfterReplies = true;
  return (w) => writeSaslAuthenticateResponse(w, version, { errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 });
}

/**
 * The reply to the bare token that follows a SaslHandshake v0 (the frame without its size prefix): an
 * empty token (a zero length), as Kafka answers PLAIN; null when the credentials are wrong (close the
 * connection, no reply, as Kafka does). Call it only when `session.saslStage` is `raw-token`.
 */
export function saslRawTokenReply(ctx: KafkaContext, token: Buffer, session: KafkaSession): Buffer | null {
  if (checkPlain(ctx, token) !== null) return null;
  authenticated(session);
  return Buffer.alloc(4); // an INT32 length of 0: no server token
}

function authenticated(session: KafkaSession): void {
  session.saslStage = 'done';
  session.authenticated = true;
}

/**
 * Null when `token` is a PLAIN message (RFC 4616: authzid NUL authcid NUL passwd) whose password is the
 * broker's token (or there is none); else why not, in one line.
 */
export function checkPlain(ctx: KafkaContext, token: Buffer): string | null {
  const parts = token.toString('utf8').split('\u0000');
  if (parts.length !== 3) return 'SASL/PLAIN authentication failed: the token is not authzid NUL username NUL password';
  const [authzid, username, password] = parts as [string, string, string];
  if (username === '') return 'SASL/PLAIN authentication failed: no username (any name will do)';
  if (authzid !== '' && authzid !== username) {
    return 'SASL/PLAIN authentication failed: the authorization id differs from the username';
  }
  if (!tokenAuth(ctx).matches(password)) {
    return "SASL/PLAIN authentication failed: the password is not this broker's token (evq serve --token)";
  }
  return null;
}
