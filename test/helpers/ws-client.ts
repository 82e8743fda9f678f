import WebSocket from 'ws';
import { decodeBatch } from '../../src/protocol/record-codec.js';
import { decodeDeliveryFrame, SUBPROTOCOL_BINARY } from '../../src/protocol/ws-frames.js';
import { waitFor } from './wait.js';

export interface ReceivedRecord {
  /** The partition the frame was of (0 for the deliver and sparse frames of partition 0). */
  partition: number;
  offset: number;
  value: string;
  key: string | null;
  headers: Record<string, string> | null;
}

/**
 * A bare WebSocket client of the broker's `/ws` protocol, written against the wire format only (not evq's
 * client library): what a websocat user or another language's client would do.
 */
export class WsTestClient {
  readonly records = new Map<number, ReceivedRecord[]>();
  readonly controls: any[] = [];
  closeCode: number | null = null;
  closeReason = '';
  readonly #waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const frame = decodeDeliveryFrame(data);
        const list = this.#list(frame.sub);
        const records = decodeBatch(frame.batch, 'x');
        records.forEach((r, i) =>
          list.push({
            partition: frame.partition,
            offset: frame.offsets ? (frame.offsets[i] as number) : r.offset,
            value: r.value.toString('utf8'),
            key: r.key,
            headers: r.headers,
          }),
        );
      } else {
        const msg = JSON.parse(data.toString('utf8'));
        if (msg.op === undefined) {
          // a plain JSON record (no binary subprotocol): sub id unknown on the wire, keep under -1
          this.#list(-1).push({ partition: msg.partition, offset: msg.offset, value: msg.value, key: msg.key, headers: msg.headers });
        } else this.controls.push(msg);
      }
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.#wake();
    });
  }

  static async connect(
    url: string,
    options: { binary?: boolean; path?: string; headers?: Record<string, string> } = {},
  ): Promise<WsTestClient> {
    const wsUrl = url.replace(/^http/, 'ws') + (options.path ?? '/ws');
    const ws = new WebSocket(wsUrl, options.binary === false ? [] : [SUBPROTOCOL_BINARY], { headers: options.headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    });
    return new WsTestClient(ws);
  }

  #list(sub: number): ReceivedRecord[] {
    let list = this.records.get(sub);
    if (list === undefined) {
      list = [];
      this.records.set(sub, list);
    }
    return list;
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /**
   * {@link waitFor} woken by this socket's frames: waits until `check()` is true, or fails after `ms` naming
   * `what` (by default the text of `check` itself, e.g. "() => client.controls.length === 2").
   */
  async until(check: () => boolean, ms = 10_000, what = String(check)): Promise<void> {
    await waitFor(check, {
      what,
      timeoutMs: ms,
      everyMs: 50,
      wake: (wakeUp) => {
        this.#waiters.add(wakeUp);
        return () => this.#waiters.delete(wakeUp);
      },
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  subscribe(
    sub: number,
    topic: string,
    options: {
      from?: string | number | { last: number } | { time: number };
      filter?: string;
      partition?: number;
      offsets?: Record<string, number>;
    } = {},
  ): void {
    this.send({ op: 'subscribe', sub, topic, ...options });
  }

  received(sub: number): ReceivedRecord[] {
    return this.records.get(sub) ?? [];
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
