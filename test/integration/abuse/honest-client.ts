import { Pool } from 'undici';

export interface HonestReport {
  /** Requests made (each a POST of one message or a GET of /healthz). */
  requests: number;
  /** Requests that failed (a non-2xx status or a network error). */
  failures: string[];
  /** Values the broker acknowledged, in order. */
  acked: string[];
  /** Latency percentiles over all requests, in ms. */
  p50: number;
  p99: number;
  max: number;
}

/**
 * The honest client of the abuse tests: one connection, one request at a time, alternating a POST of a
 * numbered message to `topic` and a GET of /healthz, timing each, until `stop()`. What it measures is what a
 * user of a broker under attack sees.
 */
export function startHonestClient(
  url: string,
  topic: string,
  options: { pauseMs?: number } = {},
): { answered(): number; stop(): Promise<HonestReport> } {
  const pool = new Pool(url, { connections: 1, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const latencies: number[] = [];
  const failures: string[] = [];
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const value = `honest-${i}`;
      const started = performance.now();
      try {
        const res =
          i % 2 === 0
            ? await pool.request({ path: `/topics/${topic}/messages`, method: 'POST', body: value })
            : await pool.request({ path: '/healthz', method: 'GET' });
        await res.body.text();
        latencies.push(performance.now() - started);
        if (res.statusCode >= 300) failures.push(`${i}: status ${res.statusCode}`);
        else if (i % 2 === 0) acked.push(value);
      } catch (err) {
        failures.push(`${i}: ${(err as Error).message}`);
      }
      if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  })();
  return {
    /** Requests answered so far: past 0, the client holds its connection. */
    answered: () => latencies.length,
    async stop() {
      running = false;
      await loop;
      await pool.close();
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
      return {
        requests: latencies.length + failures.length,
        failures,
        acked,
        p50: at(0.5),
        p99: at(0.99),
        max: sorted[sorted.length - 1] ?? NaN,
      };
    },
  };
}

/** Every value of a topic, read back over HTTP from the start (at most `max`). */
export async function topicValues(url: string, topic: string, max = 100_000): Promise<string[]> {
  const values: string[] = [];
  let from = 0;
  while (values.length < max) {
    const res = await fetch(`${url}/topics/${topic}/messages?from=${from}&limit=10000`);
    if (res.status === 404) return values;
    const body = await res.text();
    if (!res.ok) throw new Error(`read ${topic}: ${res.status} ${body}`);
    const lines = body.split('\n').filter((l) => l !== '');
    if (lines.length === 0) return values;
    for (const line of lines) values.push((JSON.parse(line) as { value: string }).value);
    from = Number(res.headers.get('evq-next-offset'));
  }
  return values;
}
