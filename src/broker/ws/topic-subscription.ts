/**
 * A client's subscription (one `sub` id) of a topic: one {@link Subscription} per partition it reads, all
 * with the same filter and format. Without a partition named it reads every partition, also those the topic
 * gets later (created with more than one, or grown): they start at their beginning, so nothing appended to
 * them is missed.
 */
import type { Filter } from '../../core/filter/index.js';
import type { TopicStore } from '../storage/topic-store.js';
import { Subscription, type DeliveryFormat, type SubscriberSink } from './subscription.js';
import type { TopicFeed } from './topic-feed.js';

/** What a topic subscription needs of the hub: the live feed of each partition, counted while it is used. */
export interface FeedRegistry {
  feed(topic: string, partition: number): TopicFeed;
  release(topic: string, partition: number): void;
  /** A subscription of `topic` started (+1) or ended (-1): what `GET /topics` counts as its subscribers. */
  counted(topic: string, delta: 1 | -1): void;
}

export class TopicSubscription {
  readonly #parts = new Map<number, Subscription>();
  #closed = false;

  constructor(
    readonly id: number,
    readonly topic: string,
    /** True when the client named no partition: every partition, present and future. */
    readonly allPartitions: boolean,
    private readonly filter: Filter | null,
    private readonly format: DeliveryFormat,
    private readonly feeds: FeedRegistry,
    private readonly store: TopicStore,
    private readonly sink: SubscriberSink,
    private readonly memory: boolean,
  ) {
    feeds.counted(topic, 1);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The partitions read now. */
  get partitions(): number[] {
    return [...this.#parts.keys()];
  }

  /** Starts reading `partition` at `offset` (nothing when it is read already or the subscription ended). */
  add(partition: number, offset: number): void {
    if (this.#closed || this.#parts.has(partition)) return;
    const feed = this.feeds.feed(this.topic, partition);
    const part = new Subscription(
      this.id,
      this.topic,
      partition,
      offset,
      this.filter,
      this.format,
      feed,
      this.store,
      this.sink,
      this.memory,
    );
    this.#parts.set(partition, part);
    feed.subscriptions++;
    part.start();
  }

  /** The topic has `count` partitions now: an all-partition subscription starts reading the new ones from their start. */
  grown(count: number): void {
    if (!this.allPartitions) return;
    const t = this.store.get(this.topic);
    for (let p = 0; p < count; p++) if (!this.#parts.has(p)) this.add(p, t?.partition(p)?.startOffset ?? 0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [partition, part] of this.#parts) {
      part.close();
      this.feeds.feed(this.topic, partition).subscriptions--;
      this.feeds.release(this.topic, partition);
    }
    this.#parts.clear();
    this.feeds.counted(this.topic, -1);
  }
}
