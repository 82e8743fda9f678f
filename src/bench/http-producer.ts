/**
 * The HTTP producer (`--transport http`): single-message `POST /topics/{topic}/messages` requests on one
 * keep-alive connection per producer, up to `--pipelining` in flight. Like autocannon it writes prebuilt
 * requests to a raw socket (`node:net`, or `node:tls` for https) instead of going through an HTTP client: each
 * request is a copy of its template with the 40-byte stamp patched in, the requests due at one moment are
 * written with one `write`, and responses are matched to requests by their order (HTTP/1.1 pipelining). This
 * is the load generator's own hot path; the client library uses a keep-alive node:http agent.
 *
 * The first response that is not 2xx (or a lost connection, or no answer within the timeout) ends the
 * producer: it is reported as an error, and only the messages acknowledged before it are expected by the
 * subscribers.
 */

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { evqEndpoint } from '../client/evq/endpoint.js';
import { EvqError, errorFromBody, errorFromWire } from '../errors.js';
import { ResponseParser } from './http-response-parser.js';
import { ProducerMeter, type Meters } from './meters.js';
import { DONE, NOT_YET, type Pacer, type PaceTimer } from './pacer.js';
import type { MessageFactory, MessageShape, Shapes } from './payload.js';
import type { Scenario } from './scenario.js';
import { STAMP_HEADER, STAMP_HEX_LENGTH, writeStamp, writeStampHex } from './stamp.js';
import { monoMs } from './time.js';

/** A prebuilt request and where its stamp goes. */
interface RequestTemplate {
  bytes: Buffer;
  stampAt: number;
  hex: boolean;
}

/** The broker's host, port and path prefix, from a URL as `connect()` takes it. */
export function httpTarget(url: string): { host: string; port: number; tls: boolean; prefix: string; hostHeader: string } {
  const parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);
  const endpoint = evqEndpoint(parsed);
  const origin = new URL(endpoint.origin);
  const secure = origin.protocol === 'https:';
  return {
    host: origin.hostname.replace(/^\[|\]$/g, ''),
    port: origin.port === '' ? (secure ? 443 : 80) : Number(origin.port),
    tls: secure,
    prefix: endpoint.prefix,
    hostHeader: origin.host,
  };
}

/** Builds the request templates of every shape. */
export function requestTemplates(scenario: Scenario, shapes: Shapes): Map<MessageShape, RequestTemplate> {
  const target = httpTarget(scenario.url);
  const path = `${target.prefix}/topics/${encodeURIComponent(scenario.topic)}/messages`;
  const templates = new Map<MessageShape, RequestTemplate>();
  for (const shape of [...shapes.matching, ...shapes.other]) {
    let head = `POST ${path} HTTP/1.1\r\nHost: ${target.hostHeader}\r\nContent-Length: ${shape.value.length}\r\n`;
    if (scenario.token !== undefined) head += `Authorization: Bearer ${scenario.token}\r\n`;
    if (shape.key !== null) head += `evq-key: ${shape.key}\r\n`;
    for (const [name, value] of Object.entries(shape.headers ?? {})) head += `evq-header-${name}: ${value}\r\n`;
    const hex = scenario.stampIn === 'header';
    let stampAt: number;
    if (hex) {
      const prefix = `${head}evq-header-${STAMP_HEADER}: `;
      stampAt = Buffer.byteLength(prefix);
      head = `${prefix}${'0'.repeat(STAMP_HEX_LENGTH)}\r\n`;
    }
    const headBytes = Buffer.from(`${head}\r\n`, 'utf8');
    stampAt ??= headBytes.length;
    templates.set(shape, { bytes: Buffer.concat([headBytes, shape.value]), stampAt, hex });
  }
  return templates;
}

export class HttpProducer {
  readonly meter: ProducerMeter;
  readonly #scenario: Scenario;
  readonly #factory: MessageFactory;
  readonly #timer: PaceTimer;
  readonly #templates: Map<MessageShape, RequestTemplate>;
  readonly #single: RequestTemplate | undefined;
  readonly #refillAt: number;
  #seq = 0;
  /** Sequence number of the oldest request in flight (responses come in order). */
  #ackSeq = 0;
  #socket: Socket | undefined;
  #pacer: Pacer | undefined;
  #sendingDone = false;
  #wakeArmed = false;
  #finished = false;
  #lastResponseMs = 0;
  #watchdog: NodeJS.Timeout | undefined;
  #resolve: () => void = () => undefined;

  constructor(
    id: number,
    scenario: Scenario,
    factory: MessageFactory,
    meters: Meters,
    timer: PaceTimer,
    templates: Map<MessageShape, RequestTemplate>,
  ) {
    this.#scenario = scenario;
    this.#factory = factory;
    this.#timer = timer;
    this.#templates = templates;
    this.#single = templates.size === 1 ? templates.values().next().value : undefined;
    this.meter = new ProducerMeter(id, meters, scenario.pipelining);
    this.#refillAt = Math.ceil(scenario.pipelining / 2);
  }

  /** Opens the connection (before the run starts, so connecting is not measured). */
  async open(): Promise<void> {
    const target = httpTarget(this.#scenario.url);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const options = { host: target.host, port: target.port };
      const s: Socket = target.tls ? tlsConnect({ ...options, servername: target.host }) : netConnect(options);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new EvqError('EVQ_ERR_TIMEOUT', `no connection to ${this.#scenario.url} within ${this.#scenario.timeoutMs} ms`));
      }, this.#scenario.timeoutMs);
      s.once(target.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new EvqError(
            'EVQ_ERR_UNREACHABLE',
            `no broker answers at ${this.#scenario.url} (${error.message}): is it running? (evq serve starts one)`,
            { cause: error },
          ),
        );
      });
    });
    this.#socket = socket;
  }

  /** Sends until the pacer is done (or `signal` aborts) and every response is in; never rejects. */
  run(pacer: Pacer, signal: AbortSignal): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined) return Promise.resolve();
    this.#pacer = pacer;
    const done = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    const parser = new ResponseParser((status, body) => this.#onResponse(status, body));
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (error) {
        this.#fail(error);
      }
    });
    socket.on('error', (error) =>
      this.#fail(new EvqError('EVQ_ERR_CLOSED', `the connection to ${this.#scenario.url} failed: ${error.message}`, { cause: error })),
    );
    socket.on('close', () => {
      if (!this.#finished)
        this.#fail(
          new EvqError(
            'EVQ_ERR_CLOSED',
            `the broker at ${this.#scenario.url} closed the connection with ${this.#seq - this.#ackSeq} requests unanswered`,
          ),
        );
    });
    const onAbort = (): void => this.#finish();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.#lastResponseMs = monoMs();
    this.#watchdog = setInterval(
      () => {
        if (this.#seq > this.#ackSeq && monoMs() - this.#lastResponseMs > this.#scenario.timeoutMs) {
          this.#fail(
            new EvqError('EVQ_ERR_TIMEOUT', `the broker at ${this.#scenario.url} did not answer within ${this.#scenario.timeoutMs} ms`),
          );
        }
      },
      Math.min(1000, this.#scenario.timeoutMs),
    );
    this.#watchdog.unref();
    this.#fill();
    return done.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Writes every request that is due and fits in the pipeline, with one write. */
  readonly #fill = (): void => {
    const pacer = this.#pacer;
    const socket = this.#socket;
    if (this.#finished || this.#sendingDone || pacer === undefined || socket === undefined) return;
    let room = this.#scenario.pipelining - (this.#seq - this.#ackSeq);
    if (room <= 0) return;
    // as fast as possible: refill once half the pipeline is free, so requests go out (and are read by the
    // server) in groups rather than one write per response
    if (!pacer.paced && this.#seq > this.#ackSeq && room < this.#refillAt) return;
    const now = monoMs();
    const factory = this.#factory;
    const meter = this.meter;
    let out: Buffer | undefined;
    let at = 0;
    let template = this.#single;
    for (; room > 0; room--) {
      const intended = pacer.due(now);
      if (intended === NOT_YET) {
        if (!this.#wakeArmed) {
          this.#wakeArmed = true;
          this.#timer.at(pacer.nextAt, () => {
            this.#wakeArmed = false;
            this.#fill();
          });
        }
        break;
      }
      if (intended === DONE) {
        this.#sendingDone = true;
        break;
      }
      const seq = this.#seq++;
      const warmup = pacer.warmup;
      if (this.#single === undefined) template = this.#templates.get(factory.shapeOf(seq)) as RequestTemplate;
      const t = template as RequestTemplate;
      if (out === undefined) out = Buffer.allocUnsafe(t.bytes.length * room);
      else if (at + t.bytes.length > out.length) {
        const grown = Buffer.allocUnsafe(Math.max(out.length * 2, at + t.bytes.length * room));
        out.copy(grown, 0, 0, at);
        out = grown;
      }
      t.bytes.copy(out, at);
      const stamp = factory.stamp(seq, intended, now, warmup);
      if (t.hex) writeStampHex(out, at + t.stampAt, stamp);
      else writeStamp(out, at + t.stampAt, stamp);
      at += t.bytes.length;
      meter.onSend(seq, intended, now, warmup);
    }
    if (out !== undefined) socket.write(at === out.length ? out : out.subarray(0, at));
    if (this.#sendingDone && this.#seq === this.#ackSeq) this.#finish();
  };

  #onResponse(status: number, body: Buffer | null): void {
    const now = monoMs();
    this.#lastResponseMs = now;
    const seq = this.#ackSeq++;
    if (status >= 200 && status < 300) {
      this.meter.onAck(seq, now, this.#factory.valueBytes(seq));
    } else {
      this.#sendingDone = true; // the first refusal ends the producer
      this.meter.onError(responseError(status, body, this.#scenario.url), now);
    }
    if (this.#sendingDone) {
      if (this.#seq === this.#ackSeq) this.#finish();
    } else this.#fill();
  }

  #fail(error: unknown): void {
    if (this.#finished) return;
    this.meter.onError(error, monoMs());
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#pacer?.stop();
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    const socket = this.#socket;
    if (socket !== undefined) {
      if (this.#seq === this.#ackSeq) socket.end();
      else socket.destroy();
    }
    this.#resolve();
  }

  /** Closes the connection (after `run`, or when the run never started). */
  close(): void {
    this.#finished = true;
    this.#socket?.destroy();
  }
}

function responseError(status: number, body: Buffer | null, url: string): EvqError {
  const error = errorFromBody(body);
  if (error !== undefined) return errorFromWire(error.code, `${url} answered ${status}: ${error.message}`);
  const text = body === null ? '' : `: ${body.toString('utf8', 0, Math.min(body.length, 200))}`;
  return new EvqError(status >= 500 ? 'EVQ_ERR_UNAVAILABLE' : 'EVQ_ERR_MALFORMED', `${url} answered ${status}${text}`);
}
