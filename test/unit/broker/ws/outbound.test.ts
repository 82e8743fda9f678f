import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Outbound } from '../../../../src/broker/ws/outbound.js';

/** A socket that keeps what is sent and calls a send's callback only when the test says it was written. */
class HeldSocket {
  readonly sent: { data: Buffer | string; fin: boolean | undefined; binary: boolean }[] = [];
  readonly #written: (() => void)[] = [];

  send(data: Buffer | string, options: { binary: boolean; fin?: boolean }, callback?: () => void): void {
    this.sent.push({ data, fin: options.fin, binary: options.binary });
    if (callback !== undefined) this.#written.push(callback);
  }

  /** The socket wrote the oldest `count` messages still held. */
  write(count: number): void {
    for (const done of this.#written.splice(0, count)) done();
  }
}

function outbound(limits = { softLimitBytes: 100, hardLimitBytes: 400 }) {
  const socket = new HeldSocket();
  let overLimit = 0;
  const out = new Outbound(socket as unknown as WebSocket, limits, () => overLimit++);
  return { socket, out, overLimit: () => overLimit };
}

describe('Outbound', () => {
  it('sends a header and a batch as two fragments of one binary message, counted together', () => {
    const { socket, out } = outbound();
    out.sendFragments(Buffer.alloc(5), Buffer.alloc(40));
    expect(socket.sent.map((s) => [s.data.length, s.fin, s.binary])).toEqual([
      [5, false, true],
      [40, true, true],
    ]);
    expect(out.queuedBytes).toBe(45);
    socket.write(1);
    expect(out.queuedBytes).toBe(0);
  });

  it('is congested past the soft limit and wakes drain waiters at a quarter of it', async () => {
    const { socket, out } = outbound();
    for (let i = 0; i < 6; i++) out.sendText('x'.repeat(20));
    expect(out.congested).toBe(true);
    let drained = false;
    const waiting = out.drained().then(() => {
      drained = true;
    });
    socket.write(4); // 40 bytes still queued: not yet at 25
    await Promise.resolve();
    expect(drained).toBe(false);
    socket.write(1); // 20 bytes queued
    await waiting;
    expect(drained).toBe(true);
    expect(out.congested).toBe(false);
  });

  it('past the hard limit sends nothing more and calls onOverLimit', () => {
    const { socket, out, overLimit } = outbound();
    out.sendText('x'.repeat(300));
    out.sendText('y'.repeat(200));
    expect(overLimit()).toBe(1);
    expect(socket.sent).toHaveLength(1);
  });

  it('after close sends nothing and resolves drain waiters at once', async () => {
    const { socket, out } = outbound();
    out.sendText('x'.repeat(150));
    const waiting = out.drained();
    out.close();
    await waiting;
    out.sendText('more');
    expect(socket.sent).toHaveLength(1);
    await out.drained();
  });

  it('tells whether the peer took any data since the last ping', () => {
    const { socket, out } = outbound();
    expect(out.progressedSinceLastPing()).toBe(false);
    out.sendText('abc');
    expect(out.progressedSinceLastPing()).toBe(false);
    socket.write(1);
    expect(out.progressedSinceLastPing()).toBe(true);
    expect(out.progressedSinceLastPing()).toBe(false);
  });
});
