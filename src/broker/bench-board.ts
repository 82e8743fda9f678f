/**
 * The runs of `evq bench` that report to this broker while they measure it, so the console can draw them live:
 * kept in memory only, bounded (the newest 20 runs, each its last hour of per-second points; titles, verdicts
 * and report paths cut to their limits), forgotten at restart. Every update is checked field by field before
 * it is kept: a client can add points to a run, never make the board grow past its bounds.
 */
import { EvqError } from '../errors.js';
import type { BenchRunInfo, BenchRunPoint, BenchRunSummary, BenchRunUpdate } from '../protocol/http-broker-state.js';

export const BENCH_BOARD_LIMITS = {
  runs: 20,
  pointsPerRun: 3600,
  titleChars: 300,
  verdictChars: 300,
  reports: 4,
  reportChars: 500,
} as const;

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PHASES = new Set(['warmup', 'measuring', 'draining']);

interface Run {
  id: string;
  title: string;
  startedAt: number;
  updatedAt: number;
  points: BenchRunPoint[];
  finished: BenchRunUpdate['finished'] | null;
}

function malformed(message: string): EvqError {
  return new EvqError('EVQ_ERR_MALFORMED', `a bench run update ${message}`);
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    throw malformed(`needs ${name} as a number ≥ 0`);
  }
  return value;
}

function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string') throw malformed(`needs ${name} as a string`);
  return value.slice(0, max);
}

function pointOf(raw: unknown): BenchRunPoint {
  if (typeof raw !== 'object' || raw === null) throw malformed('has a point that is not an object');
  const p = raw as Record<string, unknown>;
  if (typeof p.phase !== 'string' || !PHASES.has(p.phase)) throw malformed('point needs phase warmup, measuring or draining');
  return {
    elapsedMs: count(p.elapsedMs, 'elapsedMs'),
    phase: p.phase as BenchRunPoint['phase'],
    publishRate: count(p.publishRate, 'publishRate'),
    deliverRate: count(p.deliverRate, 'deliverRate'),
    p99Us: p.p99Us === null ? null : count(p.p99Us, 'p99Us'),
    acked: count(p.acked, 'acked'),
    delivered: count(p.delivered, 'delivered'),
    errors: count(p.errors, 'errors'),
  };
}

function finishedOf(raw: unknown): NonNullable<BenchRunUpdate['finished']> {
  if (typeof raw !== 'object' || raw === null) throw malformed('has finished that is not an object');
  const f = raw as Record<string, unknown>;
  if (typeof f.ok !== 'boolean') throw malformed('needs finished.ok as true or false');
  if (!Array.isArray(f.reports)) throw malformed('needs finished.reports as a list of paths');
  return {
    ok: f.ok,
    verdict: text(f.verdict, 'finished.verdict', BENCH_BOARD_LIMITS.verdictChars),
    reports: f.reports.slice(0, BENCH_BOARD_LIMITS.reports).map((r) => text(r, 'finished.reports[]', BENCH_BOARD_LIMITS.reportChars)),
  };
}

export class BenchBoard {
  readonly #runs = new Map<string, Run>();

  constructor(private readonly now: () => number) {}

  /** Takes one update of run `id` (a new id starts a run, dropping the oldest past the limit). */
  update(id: string, raw: unknown): BenchRunSummary {
    if (!RUN_ID.test(id)) throw new EvqError('EVQ_ERR_INVALID_ARGUMENT', 'a bench run id is 1 to 64 letters, digits, "-" or "_"');
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw malformed('is a JSON object');
    const body = raw as Record<string, unknown>;
    // everything is checked before anything is kept
    const title = body.title === undefined ? undefined : text(body.title, 'title', BENCH_BOARD_LIMITS.titleChars);
    const point = body.point === undefined ? undefined : pointOf(body.point);
    const finished = body.finished === undefined ? undefined : finishedOf(body.finished);
    const now = this.now();
    let run = this.#runs.get(id);
    if (run === undefined) {
      run = { id, title: title ?? id, startedAt: now, updatedAt: now, points: [], finished: null };
      this.#runs.set(id, run);
      for (const old of this.#runs.keys()) {
        if (this.#runs.size <= BENCH_BOARD_LIMITS.runs) break;
        this.#runs.delete(old);
      }
    }
    if (title !== undefined) run.title = title;
    if (point !== undefined) {
      run.points.push(point);
      if (run.points.length > BENCH_BOARD_LIMITS.pointsPerRun) run.points.splice(0, run.points.length - BENCH_BOARD_LIMITS.pointsPerRun);
    }
    if (finished !== undefined) run.finished = finished;
    run.updatedAt = now;
    return summary(run);
  }

  /** Every run, the newest first. */
  list(): BenchRunSummary[] {
    return [...this.#runs.values()].reverse().map(summary);
  }

  get(id: string): BenchRunInfo | undefined {
    const run = this.#runs.get(id);
    return run === undefined ? undefined : { ...summary(run), points: [...run.points] };
  }
}

function summary(run: Run): BenchRunSummary {
  return {
    id: run.id,
    title: run.title,
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
    last: run.points.at(-1) ?? null,
    finished: run.finished,
  };
}
