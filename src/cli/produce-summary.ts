/**
 * What `evq produce` counts as the acknowledgements come (so a failure can say how far it got) and its
 * summary line on stderr: the count, the offsets (per partition when the messages went to more than one; a
 * topic of one partition reads as it always did), the duration and the rate.
 */

import type { MessageAck, PartitionAcks, ProduceResult } from '../client/types.js';
import { formatDuration } from '../core/durations.js';
import { formatSize } from '../core/sizes.js';
import { ERROR_CODES, EXIT, isEvqErrorCode, type EvqErrorCode } from '../errors.js';
import type { ProducePlan } from './commands/produce.js';

/** What happened so far: counted from the acknowledgements, so a failure can say how far it got. */
export class Tally {
  read = 0;
  acknowledged = 0;
  delayed = 0;
  rejected = 0;
  firstOffset: number | null = null;
  lastOffset: number | null = null;
  firstRejectCode: EvqErrorCode = 'EVQ_ERR_MALFORMED';
  firstRejectReason = '';
  /** Acknowledged messages per partition, from the acks (input order: offsets grow within a partition). */
  readonly #partitions = new Map<number, PartitionAcks>();

  ack(ack: MessageAck): void {
    this.acknowledged++;
    if (ack.delayed) this.delayed++;
    else {
      if (this.firstOffset === null) this.firstOffset = ack.offset;
      this.lastOffset = ack.offset;
      const part = this.#partitions.get(ack.partition);
      if (part === undefined) {
        this.#partitions.set(ack.partition, { partition: ack.partition, count: 1, firstOffset: ack.offset, lastOffset: ack.offset });
      } else {
        part.count++;
        part.lastOffset = ack.offset;
      }
    }
  }

  reject(code: string, reason: string): void {
    this.rejected++;
    if (this.firstRejectReason === '') {
      // a rejected message is a runtime failure (exit 1), whatever its code says about the message
      this.firstRejectCode = isEvqErrorCode(code) && ERROR_CODES[code].exit === EXIT.failure ? code : 'EVQ_ERR_MALFORMED';
      this.firstRejectReason = reason;
    }
  }

  /** The client's own count wins where it knows more (e.g. a client that does not report every ack). */
  settle(result: ProduceResult): void {
    if (result.acknowledged > this.acknowledged) this.acknowledged = result.acknowledged;
    if (this.firstOffset === null) this.firstOffset = result.firstOffset;
    if (result.lastOffset !== null) this.lastOffset = result.lastOffset;
    if (result.rejected > this.rejected) this.rejected = result.rejected;
    if (this.#partitions.size === 0) for (const part of result.partitions ?? []) this.#partitions.set(part.partition, { ...part });
  }

  offsets(): string {
    if (this.firstOffset === null) return '';
    const parts = [...this.#partitions.values()].sort((a, b) => a.partition - b.partition);
    // a topic of one partition (or messages of partition 0 only): as before partitions
    if (parts.length <= 1 && (parts[0]?.partition ?? 0) === 0) {
      const last = this.lastOffset ?? this.firstOffset;
      return last === this.firstOffset ? ` (offset ${last})` : ` (offsets ${this.firstOffset}..${last})`;
    }
    const range = (p: PartitionAcks): string =>
      p.firstOffset === p.lastOffset ? String(p.firstOffset) : `${p.firstOffset}..${p.lastOffset}`;
    if (parts.length === 1) {
      const only = parts[0] as PartitionAcks;
      return ` (partition ${only.partition}, offset${only.firstOffset === only.lastOffset ? '' : 's'} ${range(only)})`;
    }
    const shown = parts.slice(0, MAX_PARTITIONS_NAMED).map((p) => `${p.partition}:${range(p)}`);
    const more = parts.length > MAX_PARTITIONS_NAMED ? ` and ${parts.length - MAX_PARTITIONS_NAMED} more` : '';
    return ` (partitions ${shown.join(' ')}${more})`;
  }
}

/** Partitions named one by one in the summary line; the others are counted. */
const MAX_PARTITIONS_NAMED = 8;

export function summary(plan: ProducePlan, tally: Tally, elapsedMs: number, result: ProduceResult | undefined): string {
  if (tally.read === 0 && tally.acknowledged === 0) return `no messages to produce to ${plan.topic}: the input was empty`;
  const rate = elapsedMs > 0 ? Math.round((tally.acknowledged * 1000) / elapsedMs) : tally.acknowledged;
  const parts = [`produced ${tally.acknowledged} message${tally.acknowledged === 1 ? '' : 's'} to ${plan.topic}${tally.offsets()}`];
  parts.push(`in ${formatDuration(Math.max(1, Math.round(elapsedMs)))}, ${rate} msg/s`);
  let line = parts.join(' ');
  if (tally.delayed > 0) {
    const when = plan.at !== undefined ? `at ${new Date(plan.at).toISOString()}` : `in ${formatDuration(plan.delayMs ?? 0)}`;
    line += `; ${tally.delayed} delayed, due ${when}`;
  }
  if (result !== undefined && plan.compression === 'gzip' && result.wireBytes > 0)
    line += `; ${formatSize(result.wireBytes)} on the wire (gzip)`;
  if (tally.rejected > 0) line += `; ${tally.rejected} rejected, written to ${plan.deadLetter}`;
  return line;
}
