/**
 * A {@link NodeHandle} whose clients run in a worker thread (src/bench/worker.ts): every call is a message to
 * the worker and its answer. A worker that dies fails every call still waiting, with what it died of.
 */

import { Worker } from 'node:worker_threads';
import { EvqError, isEvqErrorCode } from '../errors.js';
import type { NodeHandle, NodeProgress, NodeReport, NodeSetup } from './node.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Where the compiled worker entry is (next to this module once built). */
export const DEFAULT_WORKER_URL = new URL('./worker.js', import.meta.url);

export class WorkerNode implements NodeHandle {
  readonly worker: number;
  readonly #thread: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: Error | undefined;

  constructor(setup: NodeSetup, workerUrl: URL = DEFAULT_WORKER_URL) {
    this.worker = setup.worker;
    this.#thread = new Worker(workerUrl, { workerData: setup });
    this.#thread.on('message', (answer: { id: number; ok: boolean; value?: unknown; error?: { code?: unknown; message: string } }) => {
      const pending = this.#pending.get(answer.id);
      if (pending === undefined) return;
      this.#pending.delete(answer.id);
      if (answer.ok) pending.resolve(answer.value);
      else {
        const code = answer.error?.code;
        pending.reject(new EvqError(isEvqErrorCode(code) ? code : 'EVQ_ERR_INTERNAL', answer.error?.message ?? 'the worker failed'));
      }
    });
    const die = (error: Error): void => {
      this.#dead ??= error;
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
    this.#thread.on('error', (error) =>
      die(new EvqError('EVQ_ERR_INTERNAL', `bench worker ${this.worker} failed: ${error.message}`, { cause: error })),
    );
    this.#thread.on('exit', (code) => die(new EvqError('EVQ_ERR_INTERNAL', `bench worker ${this.worker} exited (code ${code})`)));
  }

  #call<T>(op: string, arg?: unknown): Promise<T> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#thread.postMessage({ id, op, arg });
    });
  }

  prepare(): Promise<void> {
    return this.#call('prepare');
  }

  run(startMs: number): Promise<Record<number, number>> {
    return this.#call('run', startMs);
  }

  drain(acked: readonly number[]): Promise<boolean> {
    return this.#call('drain', [...acked]);
  }

  progress(): Promise<NodeProgress> {
    return this.#call('progress');
  }

  finish(acked: readonly number[]): Promise<NodeReport> {
    return this.#call('finish', [...acked]);
  }

  abort(): void {
    if (this.#dead === undefined) this.#thread.postMessage({ id: 0, op: 'abort' });
  }

  async close(): Promise<void> {
    if (this.#dead === undefined) await this.#call('close').catch(() => undefined);
    await this.#thread.terminate();
  }
}
