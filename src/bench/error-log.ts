/**
 * The errors of a run, counted by client, code and message (at most `maxEntries` distinct ones; the rest are
 * counted in the last entry), so that a broker failing a million requests does not fill the memory.
 */

import { EvqError } from '../errors.js';
import type { ErrorEntry } from './result.js';

export class ErrorLog {
  readonly #entries = new Map<string, ErrorEntry>();
  readonly #maxEntries: number;
  #total = 0;

  constructor(maxEntries = 50) {
    this.#maxEntries = maxEntries;
  }

  get total(): number {
    return this.#total;
  }

  add(client: string, error: unknown, count = 1): void {
    this.#total += count;
    const code =
      error instanceof EvqError ? error.code : (((error as { code?: unknown } | null)?.code as string | undefined) ?? 'EVQ_ERR_INTERNAL');
    const message = error instanceof Error ? error.message : String(error);
    let id = `${client}\u0000${code}\u0000${message}`;
    if (!this.#entries.has(id) && this.#entries.size >= this.#maxEntries) id = 'more';
    const entry = this.#entries.get(id);
    if (entry !== undefined) entry.count += count;
    else if (id === 'more')
      this.#entries.set(id, { client: 'run', code: 'EVQ_ERR_INTERNAL', message: 'more errors of other kinds', count });
    else this.#entries.set(id, { client, code: String(code), message, count });
  }

  merge(entries: readonly ErrorEntry[]): void {
    for (const e of entries) this.add(e.client, Object.assign(new Error(e.message), { code: e.code }), e.count);
  }

  entries(): ErrorEntry[] {
    return [...this.#entries.values()].map((e) => ({ ...e }));
  }
}
