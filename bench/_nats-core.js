// The nats-server core pub/sub baseline of bench/compare.js (the "nats-server core pub/sub with the
// nats.js client", a broker that keeps nothing): one connection publishing plain `nc.publish()` on a plain
// subject, another subscribed to it with a callback, both in this process (as `evq bench` runs its producer
// and subscriber in one process by default). The publisher stays at most `maxLag` messages ahead of the
// subscriber (bounded memory; core NATS would otherwise cut off a slow consumer). Every message carries its
// sequence number in its first 4 bytes, so the subscriber counts what was lost or reordered.
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { measuredPhase, untilFinished } from './_measured-phase.js';

/**
 * Publishes for `warmupMs` and then `durationMs`, then waits (at most `drainTimeoutMs`) for the subscriber
 * to get everything. Resolves with `messages` (received of those sent in the measured phase), `msgsPerSec`
 * (those over the measured start → their last arrival), `sent`, `received`, `lost`, `reordered`.
 */
export async function natsCoreBaseline(
  url,
  { size = 100, warmupMs = 1000, durationMs = 3000, maxLag = 100_000, chunk = 1000, drainTimeoutMs = 10_000 } = {},
) {
  const servers = url.replace(/^nats:\/\//, '');
  const pub = await connect({ servers, timeout: 10_000 });
  const sub = await connect({ servers, timeout: 10_000 });
  const subject = `evq-core-bench.${randomBytes(4).toString('hex')}`;
  const filler = Buffer.alloc(size, 'nats-core-bench ');
  try {
    let sent = 0;
    let received = 0;
    let reordered = 0;
    let expectedSeq = 0;
    let stopped = false;
    let waiting = false;

    const phase = measuredPhase(warmupMs, durationMs);
    const pump = () => {
      waiting = false;
      let n = 0;
      while (!stopped && sent - received < maxLag && n < chunk) {
        if (!phase.maySend(sent, performance.now())) {
          stopped = true;
          break;
        }
        // a fresh buffer per message: the client may hold a reference until it writes to the socket
        const payload = Buffer.allocUnsafe(size);
        filler.copy(payload);
        payload.writeUInt32BE(sent >>> 0, 0);
        pub.publish(subject, payload);
        sent++;
        n++;
      }
      if (stopped) return;
      if (sent - received < maxLag) setImmediate(pump);
      else waiting = true; // the subscriber's callback pumps again once it has caught up a little
    };

    const subscription = sub.subscribe(subject, {
      callback: (_error, msg) => {
        const seq = msg.data.length >= 4 ? Buffer.from(msg.data.buffer, msg.data.byteOffset, 4).readUInt32BE(0) : -1;
        if (seq !== expectedSeq >>> 0) reordered++;
        expectedSeq = seq + 1;
        received++;
        phase.arrived(seq, performance.now());
        if (waiting && sent - received < maxLag / 2) setImmediate(pump);
        drained.check();
      },
    });
    await sub.flush(); // the subscription is in place before the first publish

    // (set before the first publish, so before the callback can run); a publisher that stops while the
    // subscriber has already got everything: the ticker sees it
    const drained = untilFinished(() => stopped && received >= sent, warmupMs + durationMs + drainTimeoutMs);
    pump();
    await drained.done;
    stopped = true;
    subscription.unsubscribe();
    return {
      size,
      maxLag,
      warmupMs,
      durationMs,
      sent,
      received,
      lost: sent - received,
      reordered,
      messages: phase.messages(),
      msgsPerSec: phase.perSec(),
    };
  } finally {
    await Promise.allSettled([pub.drain(), sub.drain()]);
  }
}
