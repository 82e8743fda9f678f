/** Types of scripts/chaos.js (a plain ES module run by node on dist/). */
export interface ChaosOptions {
  rounds?: number;
  seed?: number;
  minLoadMs?: number;
  maxLoadMs?: number;
  producers?: number;
  fsync?: 'always' | 'interval' | 'never';
  dataDir?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ChaosSummary {
  seed: number;
  fsync: 'always' | 'interval' | 'never';
  rounds: number;
  acked: number;
  subscribed: number;
  commits: number;
  committed: number;
  delayed: number;
  delayedDelivered: number;
  delayedRepeats: number;
  faultsSurvived: number;
  lost: number;
  elapsedMs: number;
}

export function runChaos(options?: ChaosOptions): Promise<ChaosSummary>;
export function formatSummary(summary: ChaosSummary): string;
