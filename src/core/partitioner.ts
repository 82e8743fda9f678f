/**
 * Where a record goes among a topic's partitions, exactly as a Kafka producer would put it: a keyed record to
 * `toPositive(murmur2(key)) % partitions` (the Java client's `BuiltInPartitioner.partitionForKey`, which
 * kafkajs's `DefaultPartitioner` reproduces), an unkeyed batch to one partition, the next batch to another
 * (the sticky partitioner of KIP-480; evq moves on round robin, so partitions fill evenly). Pure.
 */

/**
 * Kafka's 32-bit murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`): seed 0x9747b28c, little-endian
 * 4-byte blocks, the tail folded in from its highest byte down. Returns the signed 32-bit value Java returns.
 */
export function murmur2(data: Buffer): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  switch (length % 4) {
    case 3:
      h ^= (data[(length & ~3) + 2]! & 0xff) << 16;
      h ^= (data[(length & ~3) + 1]! & 0xff) << 8;
      h ^= data[length & ~3]! & 0xff;
      h = Math.imul(h, m);
      break;
    case 2:
      h ^= (data[(length & ~3) + 1]! & 0xff) << 8;
      h ^= data[length & ~3]! & 0xff;
      h = Math.imul(h, m);
      break;
    case 1:
      h ^= data[length & ~3]! & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
/** Kafka's `Utils.toPositive`: drops the sign bit (not `Math.abs`, which leaves -2^31 negative). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}
/** The partition of a keyed record among `partitions` (a string key is hashed as its UTF-8 bytes). */
export function partitionForKey(key: string | Buffer, partitions: number): number {
  return toPositive(murmur2(typeof key === 'string' ? Buffer.from(key, 'utf8') : key)) % partitions;
}
/** One partition per unkeyed batch, per topic: the next batch goes to the next partition. */
export class StickyPartitioner {
  readonly #next = new Map<string, number>();
  next(topic: string, partitions: number): number {
    const p = (this.#next.get(topic) ?? 0) % partitions;
    this.#next.set(topic, p + 1);
    return p;
  }
}
