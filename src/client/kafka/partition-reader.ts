/**
 * Reading a topic's partitions without a consumer group: positions kept here, one Fetch per partition leader
 * per round through kafkajs's Cluster (its metadata, connections, SASL). No group is joined or created, so
 * `subscribe` and `consume` without `--group` leave nothing behind on the cluster, as kcat -C does.
 *
 * Why not kafkajs's Consumer with a throwaway group id: every run would create a group on the cluster (and
 * commit to it), and its assignment would depend on the coordinator. Why not evq's own Kafka codecs: the
 * leader routing, metadata refresh and SASL would be a second Kafka client; kafkajs already has them.
 *
 * Start positions come from ListOffsets (earliest, latest, by timestamp); a position past the log (retention
 * removed it, OFFSET_OUT_OF_RANGE) moves to the log's start. Every round also picks up partitions the topic
 * got since (read from their start). After a lost connection the next round reconnects (the Cluster does) and
 * goes on from the positions: nothing is skipped or read twice.
 */

import { LIMITS } from '../../core/limits.js';
import type { EvqRecord, From, PartitionPosition } from '../types.js';
import { kafkaErrorType } from './errors.js';
import type { Admin, InternalCluster } from './library.js';
import { toEvqRecord } from './records.js';

/** Kafka's isolation level READ_COMMITTED (what kafkajs's consumer and librdkafka read by default). */
const READ_COMMITTED = 1;

export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/** Low and high watermark of every partition of `topic`, in partition order. */
export async function topicOffsets(admin: Admin, topic: string): Promise<PartitionOffsets[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets
    .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    .sort((a, b) => a.partition - b.partition);
}

/** Where reading starts in each partition, for `from`. An offset applies to every partition read. */
export async function startPositions(admin: Admin, topic: string, from: From, only?: number): Promise<Map<number, number>> {
  const offsets = (await topicOffsets(admin, topic)).filter((o) => only === undefined || o.partition === only);
  const out = new Map<number, number>();
  if (typeof from === 'object' && 'time' in from) {
    const found = await admin.fetchTopicOffsetsByTimestamp(topic, from.time);
    const byPartition = new Map(found.map((f) => [f.partition, Number(f.offset)]));
    for (const o of offsets) {
      const at = byPartition.get(o.partition) ?? -1;
      // -1: no record at or after the time, so the end
      out.set(o.partition, at < 0 ? o.high : Math.min(Math.max(at, o.low), o.high));
    }
    return out;
  }
  for (const o of offsets) {
    let at: number;
    if (from === 'earliest') at = o.low;
    else if (from === 'latest') at = o.high;
    else if (typeof from === 'number') at = Math.min(Math.max(from, o.low), o.high);
    else at = Math.max(o.low, o.high - from.last);
    out.set(o.partition, at);
  }
  return out;
}

export interface ReaderOptions {
  /** Longest wait of a fetch for new records, ms. */
  maxWaitMs: number;
  /** Read only this partition (else every one, including those added later). */
  partition?: number | undefined;
}

export class PartitionReader {
  readonly #cluster: InternalCluster;
  readonly #admin: Admin;
  readonly #topic: string;
  readonly #options: ReaderOptions;
  /** Next offset per partition. */
  readonly #next: Map<number, number>;
  /** Last high watermark seen per partition. */
  readonly #high = new Map<number, number>();
  #lastRefresh = 0;

  constructor(cluster: InternalCluster, admin: Admin, topic: string, start: Map<number, number>, options: ReaderOptions) {
    this.#cluster = cluster;
    this.#admin = admin;
    this.#topic = topic;
    this.#next = new Map(start);
    this.#options = options;
  }

  positions(): PartitionPosition[] {
    return [...this.#next].map(([partition, next]) => ({ partition, next })).sort((a, b) => a.partition - b.partition);
  }

  /** Whether every partition read is at its end as of the last fetch (or the start's offsets). */
  atEnd(): boolean {
    for (const [partition, next] of this.#next) {
      const high = this.#high.get(partition);
      if (high === undefined || next < high) return false;
    }
    return true;
  }

  /** Sets the high watermarks known before the first fetch (from ListOffsets). */
  knowEnds(offsets: readonly PartitionOffsets[]): void {
    for (const o of offsets) if (this.#next.has(o.partition)) this.#high.set(o.partition, o.high);
  }

  /** One round: a fetch from each leader at the current positions. Resolves with the records, in order per partition. */
  async fetch(): Promise<EvqRecord[]> {
    await this.#refresh();
    const partitions = [...this.#next.keys()];
    if (partitions.length === 0) return [];
    const byLeader = this.#cluster.findLeaderForPartitions(this.#topic, partitions);
    const rounds = Object.entries(byLeader).map(async ([nodeId, ids]) => {
      const broker = await this.#cluster.findBroker({ nodeId });
      try {
        return await broker.fetch({
          replicaId: -1,
          isolationLevel: READ_COMMITTED,
          maxWaitTime: this.#options.maxWaitMs,
          minBytes: 1,
          maxBytes: LIMITS.kafkaFetchMaxBytes,
          topics: [
            {
              topic: this.#topic,
              partitions: ids.map((partition) => ({
                partition,
                fetchOffset: String(this.#next.get(partition) ?? 0),
                maxBytes: LIMITS.kafkaFetchPartitionMaxBytes,
              })),
            },
          ],
        });
      } catch (error) {
        const type = kafkaErrorType(error);
        if (type === 'OFFSET_OUT_OF_RANGE') {
          await this.#resetOutOfRange(ids);
          return { responses: [] };
        }
        if (type === 'NOT_LEADER_FOR_PARTITION' || type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE') {
          this.#lastRefresh = 0; // metadata moved: look again next round
          await this.#cluster.refreshMetadata();
          return { responses: [] };
        }
        throw error;
      }
    });
    const out: EvqRecord[] = [];
    for (const response of await Promise.all(rounds)) {
      for (const topic of response.responses) {
        for (const part of topic.partitions) {
          this.#high.set(part.partition, Number(part.highWatermark));
          let next = this.#next.get(part.partition) ?? 0;
          for (const message of part.messages) {
            const offset = Number(message.offset);
            // a compressed batch starts before the position asked for; control records are not data
            if (offset < next) continue;
            next = offset + 1;
            if (message.isControlRecord === true) continue;
            out.push(toEvqRecord(this.#topic, part.partition, message));
          }
          this.#next.set(part.partition, next);
        }
      }
    }
    return out;
  }

  /** Picks up partitions the topic got since (read from their start), every few seconds. */
  async #refresh(): Promise<void> {
    if (this.#options.partition !== undefined) return;
    const now = Date.now();
    if (now - this.#lastRefresh < 5000) return;
    this.#lastRefresh = now;
    await this.#cluster.refreshMetadata();
    for (const p of this.#cluster.findTopicPartitionMetadata(this.#topic)) {
      if (!this.#next.has(p.partitionId)) this.#next.set(p.partitionId, 0);
    }
  }

  async #resetOutOfRange(partitions: number[]): Promise<void> {
    const offsets = await topicOffsets(this.#admin, this.#topic);
    for (const o of offsets) {
      if (!partitions.includes(o.partition)) continue;
      const next = this.#next.get(o.partition) ?? 0;
      if (next < o.low || next > o.high) this.#next.set(o.partition, next < o.low ? o.low : o.high);
    }
  }
}
