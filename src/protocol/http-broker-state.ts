/**
 * The HTTP shapes of what the broker shows about itself, for its console and tools: the delay queue
 * (`GET /delayed`), how it runs (`GET /info`), and the `evq bench` runs that report to it (`/bench/runs`).
 * The routes' paths are in http.ts's PATHS. Pure types.
 */

/**
 * A message waiting in the delay queue (`GET /delayed`): `id` names it for `DELETE /delayed/{id}` and
 * `POST /delayed/{id}/deliver`; `value` as text when it is UTF-8, else `valueBase64`.
 */
export interface DelayedWireMessage {
  id: string;
  topic: string;
  dueAt: number;
  /** When it was produced (ms since the epoch), from its `evq-produced-at` header; null when it has none. */
  producedAt: number | null;
  key: string | null;
  headers: Record<string, string> | null;
  value?: string;
  valueBase64?: string;
}

/** The body of `GET /delayed`: a page in due order, and where the next one starts (`?after=`), null at the end. */
export interface DelayedList {
  delayed: DelayedWireMessage[];
  next: string | null;
  /** Waiting messages looked at for this page (the topic and the filter ran on each). */
  scanned: number;
  /** Messages waiting in all, of every topic. */
  waiting: number;
}

/** The body of `GET /delayed/histogram`: the matching waiting messages' due times in equal buckets. */
export interface DelayedHistogramReply {
  from: number | null;
  to: number | null;
  bucketMs: number;
  counts: number[];
  matched: number;
  scanned: number;
  complete: boolean;
}

/** The body of `GET /info`: how the broker runs, its totals now, and its message rates of the last minutes. */
export interface BrokerInfo {
  version: string;
  /** When the broker started and for how long it has run (ms). */
  startedAt: number;
  uptimeMs: number;
  /** The data directory (absolute), or null with `--memory`. */
  dataDir: string | null;
  memory: boolean;
  fsync: 'always' | 'interval' | 'never';
  /** Retention of every partition's log (`evq serve --retention-bytes/--retention-age`); null: unbounded. */
  retention: { bytesPerPartition: number | null; ageMs: number | null };
  listeners: {
    /** `http://host:port`: HTTP and WebSocket. */
    http: string;
    /** `kafka://host:port` (the advertised address), or null without `--kafka-port`. */
    kafka: string | null;
    /** `http://host:port/ui/`, or null with `--no-ui`. */
    console: string | null;
  };
  totals: {
    topics: number;
    partitions: number;
    /** Messages retained, over every partition. */
    messages: number;
    /** Bytes of the logs, over every partition. */
    bytes: number;
    /** Groups with a committed offset or members now. */
    groups: number;
    /** Open connections: HTTP (keep-alive ones included, WebSocket ones too), WebSocket, Kafka. */
    connections: { http: number; websocket: number; kafka: number };
    /** WebSocket subscriptions now. */
    subscribers: number;
    /** Delayed messages waiting for their time. */
    delayedPending: number;
  };
  /** Since the broker started, over every topic (the counters of GET /metrics, deleted topics included). */
  counters: { messagesIn: number; bytesIn: number; messagesOut: number; bytesOut: number };
  /**
   * The last minutes, one sample every `intervalMs`, oldest first: `times[i]` (ms since the epoch) ends a
   * sample; `produced[i]` and `delivered[i]` are the messages appended and delivered in it.
   */
  rates: { intervalMs: number; times: number[]; produced: number[]; delivered: number[] };
}

/** One second of a running `evq bench`, as it reports it to the broker it measures (and the console draws). */
export interface BenchRunPoint {
  /** Since the start of the run (warm-up included). */
  elapsedMs: number;
  phase: 'warmup' | 'measuring' | 'draining';
  /** msgs/s over the last second. */
  publishRate: number;
  deliverRate: number;
  /** The 99th percentile so far (µs; end to end, or ack without subscribers), or null before the first. */
  p99Us: number | null;
  acked: number;
  delivered: number;
  errors: number;
}

/**
 * The body of `POST /bench/runs/{id}`: the first names the run (`title`: its scenario line), each adds a point,
 * the last says how it ended (`finished`). At most 4 KiB.
 */
export interface BenchRunUpdate {
  title?: string;
  point?: BenchRunPoint;
  finished?: {
    ok: boolean;
    /** One line: the verification and thresholds (`every message exactly once, in order`, or why not). */
    verdict: string;
    /** Where the report was written (`--json`, `--html` file paths), as the bench was told them. */
    reports: string[];
  };
}

/** A run as `GET /bench/runs` lists it. */
export interface BenchRunSummary {
  id: string;
  title: string;
  startedAt: number;
  updatedAt: number;
  last: BenchRunPoint | null;
  finished: BenchRunUpdate['finished'] | null;
}

/** The body of `GET /bench/runs`. */
export interface BenchRunList {
  runs: BenchRunSummary[];
}

/** The body of `GET /bench/runs/{id}`: the run and its points, oldest first. */
export interface BenchRunInfo extends BenchRunSummary {
  points: BenchRunPoint[];
}
