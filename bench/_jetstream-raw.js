// The raw JetStream publish baseline: JetStream driven as fast as the nats.js client can drive it, without
// evq in between (the "fast pattern"): plain `nc.publish()` on the stream's subject, each with a reply
// subject under one shared inbox (`<inbox>.<id>`), one wildcard subscription collecting the publish
// acknowledgements, and at most `window` acknowledgements outstanding (a new publish for each ack that
// comes back). Publish only, one connection, file storage, one fixed payload. Then, as a second figure, the
// rate at which an ordered consumer (the kind evq's nats:// subscriptions use, with the same 1,000 messages
// per pull) reads back what was stored, counting messages and nothing else.
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, createInbox } from '@nats-io/transport-node';
import { quantile } from './_bench-util.js';
import { measuredPhase, untilFinished } from './_measured-phase.js';

/** Latency samples kept at most (a bounded buffer; beyond it the percentiles are of the first ones). */
const MAX_SAMPLES = 4_000_000;

/**
 * Reads `count` messages of `stream` from its start with an ordered consumer (1,000 messages per pull);
 * resolves with `messages` read, `msgsPerSec` and `complete` (false when `timeoutMs` passed first).
 */
async function readAll(js, stream, count, timeoutMs) {
  const consumer = await js.consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 1000 });
  const start = performance.now();
  let read = 0;
  let last = start;
  const timer = setTimeout(() => void messages.close(), timeoutMs);
  try {
    for await (const _msg of messages) {
      read++;
      last = performance.now();
      if (read >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await messages.close().catch(() => undefined);
  }
  return { messages: read, msgsPerSec: Math.round(read / (Math.max(1, last - start) / 1000)), complete: read >= count };
}

/**
 * Publishes to a fresh file-storage stream on the server at `url` (nats://host:port) for `warmupMs` and
 * then `durationMs`, then waits (at most `drainTimeoutMs`) for the last acknowledgements. Resolves with the
 * measured figures: `messages` (acknowledged, sent in the measured phase), `msgsPerSec` (those over the
 * measured start → their last ack), `ack` latency percentiles in µs, and the checks: `errors` (negative or
 * unreadable acks), `unacked` (never acknowledged), `unexpected` (acks for nothing outstanding) and `stored`
 * (the stream's message count at the end, which must equal every acknowledged message, warm-up included);
 * `read`: the stream read back from its start ({@link readAll}), within `readTimeoutMs`.
 */
export async function rawJetStreamBaseline(
  url,
  { size = 100, window = 1000, warmupMs = 1000, durationMs = 5000, drainTimeoutMs = 15_000, readTimeoutMs = 15_000 } = {},
) {
  const nc = await connect({ servers: url.replace(/^nats:\/\//, ''), timeout: 10_000 });
  const id = randomBytes(4).toString('hex');
  const stream = `rawbench${id}`;
  const subject = `rawbench.${id}`;
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File });

    const payload = Buffer.alloc(size, 'raw-jetstream-bench ');
    const inbox = `${createInbox()}.`;
    const ring = new Float64Array(window * 2).fill(Number.NaN); // send time by id % ring size; NaN: not outstanding
    const samples = new Float64Array(Math.min(MAX_SAMPLES, 1 << 22));
    let sampleCount = 0;
    let next = 0;
    let outstanding = 0;
    let acked = 0;
    let errors = 0;
    let unexpected = 0;
    let stopped = false;
    let firstError = null;

    const phase = measuredPhase(warmupMs, durationMs);
    const publishMore = () => {
      while (!stopped && outstanding < window) {
        const now = performance.now();
        if (!phase.maySend(next, now)) {
          stopped = true;
          break;
        }
        const n = next++;
        ring[n % ring.length] = now;
        outstanding++;
        nc.publish(subject, payload, { reply: inbox + n });
      }
    };

    const sub = nc.subscribe(`${inbox}*`, {
      callback: (_error, msg) => {
        const n = Number(msg.subject.slice(inbox.length));
        const slot = n % ring.length;
        const sentAt = ring[slot];
        if (!Number.isInteger(n) || n >= next || Number.isNaN(sentAt)) {
          unexpected++;
          return;
        }
        ring[slot] = Number.NaN;
        outstanding--;
        let ok = msg.data.length > 0 && msg.headers?.hasError !== true;
        if (ok) {
          try {
            const ack = JSON.parse(Buffer.from(msg.data).toString('utf8'));
            ok = ack.error === undefined && typeof ack.seq === 'number';
            if (!ok) firstError ??= ack.error?.description ?? 'no sequence in the acknowledgement';
          } catch {
            ok = false;
            firstError ??= 'an unreadable acknowledgement';
          }
        } else {
          firstError ??= `${msg.headers?.code ?? ''} ${msg.headers?.description ?? 'an empty acknowledgement'}`.trim();
        }
        if (!ok) {
          errors++;
        } else {
          acked++;
          const now = performance.now();
          if (phase.arrived(n, now) && sampleCount < samples.length) samples[sampleCount++] = now - sentAt;
        }
        publishMore();
        drained.check();
      },
    });

    // the publishing runs from the ack callback; the ticker publishes too, in a phase in which no ack comes back at all
    const drained = untilFinished(() => stopped && outstanding === 0, warmupMs + durationMs + drainTimeoutMs, publishMore);
    publishMore();
    await drained.done;
    stopped = true;
    const unacked = outstanding;
    sub.unsubscribe();

    const info = await jsm.streams.info(stream);
    const read = await readAll(jetstream(nc, { timeout: 10_000 }), stream, info.state.messages, readTimeoutMs);
    await jsm.streams.delete(stream).catch(() => undefined);
    const latencies = Array.from(samples.subarray(0, sampleCount)).sort((a, b) => a - b);
    return {
      size,
      window,
      warmupMs,
      durationMs,
      sent: next,
      acked,
      messages: phase.messages(),
      msgsPerSec: phase.perSec(),
      ack: {
        p50: Math.round(quantile(latencies, 0.5) * 1000),
        p99: Math.round(quantile(latencies, 0.99) * 1000),
        max: Math.round((latencies.at(-1) ?? Number.NaN) * 1000),
      },
      errors,
      firstError,
      unacked,
      unexpected,
      stored: info.state.messages,
      read,
    };
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}
