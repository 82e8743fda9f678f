import type { Clock } from '../core/clock.js';
import type { ClassicGroups } from './groups/classic-groups.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import type { OffsetStore } from './groups/offset-store.js';
import type { Ingest, IngestLimits } from './ingest.js';
import type { BrokerMetrics } from './metrics.js';
import type { Reader } from './reader.js';
import type { TopicStore } from './storage/topic-store.js';
import type { BenchBoard } from './bench-board.js';

/** The broker's limits as configured (defaults from LIMITS, some changed by flags). */
export interface BrokerLimits extends IngestLimits {
  maxHttpBodyBytes: number;
  maxReadLimit: number;
  defaultReadLimit: number;
  maxLongPollMs: number;
  maxFilterLength: number;
}

/** What the HTTP routes and the WebSocket hub share. */
export interface BrokerContext {
  store: TopicStore;
  ingest: Ingest;
  reader: Reader;
  /** Committed offsets of every group, per (group, topic, partition), and the anonymous group reads in flight. */
  groups: OffsetStore;
  /** The members of groups, their generations and assignments. */
  coordinator: GroupCoordinator;
  /** The groups of Kafka clients (the classic protocol: client-side assignment); their offsets are in `groups` too. */
  kafkaGroups: ClassicGroups;
  metrics: BrokerMetrics;
  /** The `evq bench` runs reporting to this broker (for the console). */
  benchRuns: BenchBoard;
  limits: BrokerLimits;
  clock: Clock;
  /** Subscriber counts per topic, for GET /topics (filled by the WebSocket hub). */
  subscriberCount(topic: string): number;
  /** Tells the live side and the caches that a topic is gone. */
  topicDeleted(topic: string): void;
}
