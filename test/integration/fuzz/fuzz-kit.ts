import WebSocket from 'ws';
import { SUBPROTOCOL_BINARY } from '../../../src/protocol/ws-frames.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * What the fuzz tests share. Each runs EVQ_FUZZ_RUNS cases (default: a short CI run) from EVQ_FUZZ_SEED
 * (default: a fixed seed, so CI runs the same cases every time); fast-check prints the seed and the path of a
 * failing case, which `EVQ_FUZZ_SEED=… ` replays. The long run: `EVQ_FUZZ_RUNS=20000 npx vitest run test/integration/fuzz`.
 */
export function fuzzSettings(ciRuns: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  const runs = Number(process.env.EVQ_FUZZ_RUNS ?? ciRuns);
  const seed = Number(process.env.EVQ_FUZZ_SEED ?? 0x0e7a5eed);
  return { seed, numRuns: Number.isSafeInteger(runs) && runs > 0 ? runs : ciRuns, endOnFailure: true };
}

/** Test time for `runs` cases at `msPerRun`, plus a margin: long runs get the time they need. */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return 30_000 + runs * msPerRun;
}

/** Every topic's end offset, summed: what was appended to the broker in all. */
export async function totalEnd(url: string): Promise<number> {
  const res = await fetch(`${url}/topics`);
  const body = (await res.json()) as { topics: { endOffset: number }[] };
  return body.topics.reduce((sum, t) => sum + t.endOffset, 0);
}

/** The messages one broker reply says it appended now (not duplicates, not delayed). */
export function appendedBy(reply: {
  op?: string;
  baseOffset?: number;
  lastOffset?: number;
  duplicate?: boolean;
  delayed?: boolean;
}): number {
  if (reply.op !== 'ack' || reply.duplicate === true || reply.delayed === true) return 0;
  return (reply.lastOffset as number) - (reply.baseOffset as number) + 1;
}

/** A raw `/ws` connection that collects the broker's text replies and its close code. */
export class FuzzSocket {
  readonly replies: any[] = [];
  binaryFrames = 0;
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.binaryFrames++;
      else this.replies.push(JSON.parse(String(data)));
    });
    ws.on('close', (code) => (this.closeCode = code));
    ws.on('error', () => undefined);
  }

  static open(url: string, binary = true): Promise<FuzzSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, binary ? [SUBPROTOCOL_BINARY] : []);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new FuzzSocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Waits until `check()` holds, woken by each frame and by the close; fails past `ms` naming `what`. */
  async until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
    await waitFor(check, {
      what: () => `${what} (${this.replies.length} replies, close code ${this.closeCode})`,
      timeoutMs: ms,
      wake: (wakeUp) => {
        this.ws.on('message', wakeUp);
        this.ws.on('close', wakeUp);
        return () => {
          this.ws.off('message', wakeUp);
          this.ws.off('close', wakeUp);
        };
      },
    });
  }

  /** Waits until `n` replies have arrived or the broker closed the connection; fails past `ms`. */
  async replied(n: number, ms = 10_000): Promise<void> {
    await this.until(() => this.replies.length >= n || this.closeCode !== null, `${n} replies or a close`, ms);
  }

  async close(): Promise<void> {
    if (this.closeCode !== null) return;
    const closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    await closed;
    clearTimeout(timer);
  }
}
