/**
 * The binary body of a member read (`GET /groups/{g}/members/{id}/messages` with
 * `Accept: application/vnd.evq.batches`): the page's records as evq's own record batches (`record-codec.ts`,
 * encoded by `batch-encode.ts`, the encoding WebSocket deliver frames carry), so that a member decodes a page
 * without a JSON.parse and a base64 decode per record. All integers big-endian; the body is 0 or more sections
 *
 * ```text
 *   4        partition       u32
 *   4        topicLength     u32, 1 to 249
 *   …        topic           the topic's name (ASCII)
 *   4        batchLength     u32, bytes of the batch (its own byteLength)
 *   …        batch           a record batch; record i has offset baseOffset + i
 * ```
 *
 * Records come in page order. A batch holds consecutive offsets only, so the records of one partition that a
 * filter left gaps between take several sections. A decoder checks every length against the body and each
 * batch whole (`decodeBatch`): anything else is `EVQ_ERR_MALFORMED`.
 */
import { LIMITS } from '../core/limits.js';
import { EvqError } from '../errors.js';
import { encodeBatch } from './batch-encode.js';
import { TRUSTED_CODEC_LIMITS, decodeBatch, readBatchHeader } from './record-codec.js';
import type { CodecLimits } from './record-codec.js';
import type { EvqRecord, TimestampedMessage } from './record.js';
import { isValidTopicName } from './validate.js';

/** Bytes of a section before its batch, the topic name aside. */
const SECTION_FIXED_BYTES = 12;

/** One section of the body: a batch of consecutive offsets of one partition, its records not decoded yet. */
export interface MemberSection {
  topic: string;
  partition: number;
  /** Offset of the batch's first record. */
  offset: number;
  /** Records of the batch. */
  count: number;
  batch: Buffer;
}

/**
 * Encodes the records of a page, in their order, as sections of runs of consecutive offsets of one partition,
 * at most `LIMITS.maxBatchCount` records each (a member decodes a section at a time as it hands records out).
 */
export function encodeMemberBatches(records: readonly EvqRecord[]): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < records.length) {
    const first = records[i] as EvqRecord;
    let end = i + 1;
    while (end < records.length && end - i < LIMITS.maxBatchCount) {
      const r = records[end] as EvqRecord;
      if (r.partition !== first.partition || r.topic !== first.topic || r.offset !== first.offset + (end - i)) break;
      end++;
    }
    const run: TimestampedMessage[] = records.slice(i, end);
    const batch = encodeBatch(first.offset, run);
    parts.push(sectionHead(first.topic, first.partition, batch.length), batch);
    i = end;
  }
  return Buffer.concat(parts);
}

/** The bytes of a section before its batch (the broker sends stored batches after it as they are). */
export function sectionHead(topic: string, partition: number, batchLength: number): Buffer {
  const name = Buffer.from(topic, 'latin1');
  const head = Buffer.allocUnsafe(SECTION_FIXED_BYTES + name.length);
  head.writeUInt32BE(partition, 0);
  head.writeUInt32BE(name.length, 4);
  name.copy(head, 8);
  head.writeUInt32BE(batchLength, 8 + name.length);
  return head;
}

/**
 * The sections of a binary member-read body, each batch's header checked (`readBatchHeader`) but its records
 * not decoded: {@link decodeMemberSection} does that. Throws `EVQ_ERR_MALFORMED` for any length past the
 * body, a bad topic name, partition or batch header, or bytes left over.
 */
export function readMemberSections(body: Buffer): MemberSection[] {
  const sections: MemberSection[] = [];
  let pos = 0;
  while (pos < body.length) {
    const index = sections.length;
    if (body.length - pos < SECTION_FIXED_BYTES) throw malformed(`section ${index} is cut short`);
    const partition = body.readUInt32BE(pos);
    const topicLength = body.readUInt32BE(pos + 4);
    if (topicLength === 0 || topicLength > LIMITS.maxTopicNameLength || topicLength > body.length - pos - SECTION_FIXED_BYTES) {
      throw malformed(`section ${index} has an invalid topic name length`);
    }
    const topic = body.toString('latin1', pos + 8, pos + 8 + topicLength);
    if (!isValidTopicName(topic)) throw malformed(`section ${index} has an invalid topic name`);
    if (partition >= LIMITS.maxPartitions) throw malformed(`section ${index} names partition ${partition}, past the limit`);
    const lengthAt = pos + 8 + topicLength;
    const batchLength = body.readUInt32BE(lengthAt);
    const batchStart = lengthAt + 4;
    if (batchLength > body.length - batchStart) throw malformed(`section ${index} has a batch length past the end of the body`);
    const batch = body.subarray(batchStart, batchStart + batchLength);
    const header = wrapped(index, () => readBatchHeader(batch, TRUSTED_CODEC_LIMITS));
    if (header.byteLength !== batchLength) throw malformed(`section ${index} has a batch of ${header.byteLength} bytes in ${batchLength}`);
    sections.push({ topic, partition, offset: header.baseOffset, count: header.count, batch });
    pos = batchStart + batchLength;
  }
  return sections;
}

/** The records of a section, all or an `EVQ_ERR_MALFORMED` error (values are views into the body). */
export function decodeMemberSection(section: MemberSection, index = 0, limits: CodecLimits = TRUSTED_CODEC_LIMITS): EvqRecord[] {
  return wrapped(index, () => decodeBatch(section.batch, section.topic, limits, section.partition));
}

/**
 * Decodes a whole binary member-read body into its records. `limits` default to the structural checks only,
 * as for WebSocket deliveries (the broker's configured limits may be larger).
 */
export function decodeMemberBatches(body: Buffer, limits: CodecLimits = TRUSTED_CODEC_LIMITS): EvqRecord[] {
  const records: EvqRecord[] = [];
  const sections = readMemberSections(body);
  for (let i = 0; i < sections.length; i++) {
    const decoded = decodeMemberSection(sections[i] as MemberSection, i, limits);
    for (let r = 0; r < decoded.length; r++) records.push(decoded[r] as EvqRecord);
  }
  return records;
}

function wrapped<T>(index: number, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof EvqError && err.code === 'EVQ_ERR_MALFORMED') throw malformed(`section ${index}: ${err.message}`);
    throw err;
  }
}

function malformed(message: string): EvqError {
  return new EvqError(
    'EVQ_ERR_MALFORMED',
    `malformed member read body: ${message}; the broker and the client may be of different versions`,
  );
}
