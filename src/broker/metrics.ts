/**
 * The broker's metrics, served at GET /metrics in the Prometheus text format. Counters and gauges with at
 * most one label each; label values are topic names or reasons, so the series are bounded by the topic
 * limit.
 */

type Labels = Record<string, string>;

class Family {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  /** Everything added since the broker started, over every label (kept when a topic's series are dropped). */
  total = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'summary',
  ) {}

  add(labels: Labels, delta: number): void {
    this.total += delta;
    const key = labelKey(labels);
    const entry = this.values.get(key);
    if (entry === undefined) this.values.set(key, { labels, value: delta });
    else entry.value += delta;
  }

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), { labels, value });
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }
}

/** Keys of one-label series by label name, then value: a topic's counters are added to on every delivery. */
const oneLabelKeys = new Map<string, Map<string, string>>();
/** Values cached per label name at most (past it the cache starts over: the keys are only a shortcut). */
const ONE_LABEL_KEYS_KEPT = 10_000;

function labelKey(labels: Labels): string {
  let only: string | undefined;
  let count = 0;
  for (const name in labels) {
    only = name;
    if (++count > 1) break;
  }
  if (count === 1 && only !== undefined) {
    const value = labels[only] as string;
    let byValue = oneLabelKeys.get(only);
    if (byValue === undefined) oneLabelKeys.set(only, (byValue = new Map()));
    let key = byValue.get(value);
    if (key === undefined) {
      if (byValue.size >= ONE_LABEL_KEYS_KEPT) byValue.clear();
      key = `${only}="${escapeLabel(value)}"`;
      byValue.set(value, key);
    }
    return key;
  }
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class BrokerMetrics {
  readonly #families = new Map<string, Family>();
  /** Gauges computed when scraped (subscribers, group lag, topic sizes). */
  readonly #collectors: (() => void)[] = [];

  readonly messagesIn = this.#family('evq_messages_in_total', 'Messages appended, per topic', 'counter');
  readonly bytesIn = this.#family('evq_bytes_in_total', 'Bytes of message values appended, per topic', 'counter');
  readonly messagesOut = this.#family('evq_messages_out_total', 'Messages delivered to readers and subscribers, per topic', 'counter');
  readonly bytesOut = this.#family('evq_bytes_out_total', 'Bytes of message values delivered, per topic', 'counter');
  readonly rejected = this.#family('evq_rejected_requests_total', 'Requests refused, per reason (error code)', 'counter');
  readonly slowSubscriber = this.#family(
    'evq_slow_subscriber_events_total',
    'Subscribers that fell behind: switched to catch-up from the log, or disconnected',
    'counter',
  );
  readonly subscribers = this.#family('evq_subscribers', 'Active subscriptions, per topic', 'gauge');
  readonly connections = this.#family('evq_connections', 'Open WebSocket connections', 'gauge');
  readonly groupLag = this.#family('evq_group_lag', 'Messages a consumer group has yet to commit, per topic and group', 'gauge');
  readonly delayedPending = this.#family('evq_delayed_pending', 'Delayed messages waiting for their time', 'gauge');
  readonly fsyncSeconds = this.#family('evq_fsync_seconds', 'Time spent in fsync (sum and count)', 'summary');

  #family(name: string, help: string, type: Family['type']): Family {
    const family = new Family(name, help, type);
    this.#families.set(name, family);
    return family;
  }

  /** Registers a function that refreshes gauges right before each scrape. */
  collect(fn: () => void): void {
    this.#collectors.push(fn);
  }

  observeFsync(seconds: number): void {
    this.fsyncSeconds.add({ stat: 'sum' }, seconds);
    this.fsyncSeconds.add({ stat: 'count' }, 1);
  }

  /** Drops the series of a deleted topic. */
  forgetTopic(topic: string): void {
    for (const family of this.#families.values()) {
      for (const [key, entry] of family.values) if (entry.labels.topic === topic) family.values.delete(key);
    }
  }

  render(): string {
    for (const fn of this.#collectors) fn();
    const lines: string[] = [];
    for (const family of this.#families.values()) {
      lines.push(`# HELP ${family.name} ${family.help}`);
      lines.push(`# TYPE ${family.name} ${family.type === 'summary' ? 'summary' : family.type}`);
      for (const { labels, value } of family.values.values()) {
        if (family.type === 'summary') {
          lines.push(`${family.name}_${labels.stat} ${value}`);
          continue;
        }
        const key = labelKey(labels);
        lines.push(`${family.name}${key === '' ? '' : `{${key}}`} ${value}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
