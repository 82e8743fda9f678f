// The broker's memory with retained messages and idle subscribers (target 7 of bench/compare.js), for bench/compare.js:
// `messages` 100-byte messages produced into one topic with `evq bench --subscribers 0`, then `subscribers`
// idle WebSocket subscriptions to it (evq's binary subprotocol, from latest: nothing to deliver), and the
// broker's VmRSS (now) and VmHWM (peak) from /proc/PID/status (Linux) once they are all subscribed and the
// broker has had `settleMs` to settle.
import { SUBPROTOCOL_BINARY } from '../dist/protocol/ws-frames.js';
import { sleep } from './_bench-util.js';
import { runEvqBench } from './_evq-bench.js';
import { procStatusBytes } from './_produce-pipe.js';
import { closeSocket, openSocket } from './_ws-load.js';

async function idleSubscriber(wsUrl, topic, id) {
  const ws = await openSocket(wsUrl, [SUBPROTOCOL_BINARY]);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscription ${id}: no answer in 10 s`)), 10_000);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(data.toString('utf8'));
      if (message.op === 'subscribed' && message.sub === id) {
        clearTimeout(timer);
        resolve();
      } else if (message.op === 'error' || message.op === 'closed') {
        clearTimeout(timer);
        reject(new Error(`subscription ${id}: ${message.code} ${message.message}`));
      }
    });
    ws.send(JSON.stringify({ op: 'subscribe', sub: id, topic, from: 'latest' }));
  });
  return ws;
}

/** `broker`: {pid, httpUrl, wsUrl} of an evq serve process that has done nothing else yet. */
export async function brokerMemory(broker, { messages = 1_000_000, subscribers = 100, settleMs = 2000, topic = 'retained' } = {}) {
  const rssAtStart = procStatusBytes(broker.pid, 'VmRSS');
  const bench = await runEvqBench(
    broker.httpUrl,
    ['--topic', topic, '--producers', '1', '--subscribers', '0', '--size', '100', '--messages', String(messages)],
    {
      timeoutMs: 180_000,
    },
  );
  const r = bench.result;
  const rssAfterProduce = procStatusBytes(broker.pid, 'VmRSS');
  const sockets = [];
  try {
    for (let i = 0; i < subscribers; i++) sockets.push(await idleSubscriber(broker.wsUrl, topic, i + 1));
    await sleep(settleMs);
    const topics = /** @type {any} */ (await (await fetch(`${broker.httpUrl}/topics`)).json());
    const retained = topics.topics.find((t) => t.topic === topic)?.messageCount ?? 0;
    return {
      messages,
      subscribers,
      retained,
      produced: r.verification.published,
      producedPerSec: r.publish.msgsPerSec,
      ok: r.ok && bench.exitCode === 0 && retained === messages,
      rssAtStartBytes: rssAtStart,
      rssAfterProduceBytes: rssAfterProduce,
      rssBytes: procStatusBytes(broker.pid, 'VmRSS'),
      peakRssBytes: procStatusBytes(broker.pid, 'VmHWM'),
    };
  } finally {
    await Promise.all(sockets.map(closeSocket));
  }
}
