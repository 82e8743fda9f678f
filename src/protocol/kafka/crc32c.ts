/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of a Kafka RecordBatch v2, computed
 * over the batch from its attributes to its end. Table-driven, eight bytes a step (slicing-by-8), since
 * the broker checks every produced batch. Pure.
 */

const POLY = 0x82f63b78;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0] as Uint32Array;
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[b] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1] as Uint32Array;
    const cur = tables[k] as Uint32Array;
    for (let b = 0; b < 256; b++) {
      const c = prev[b] as number;
      cur[b] = ((c >>> 8) ^ (t0[c & 0xff] as number)) >>> 0;
    }
  }
  return tables;
})();

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/**
 * The CRC-32C of `data[start..end)`; `crc` continues an earlier one (the value it returned) so that a
 * checksum can be taken in pieces.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc >>> 0;
  let i = start;
  const end8 = end - ((end - start) % 8);
  while (i < end8) {
    const a =
      (c ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24))) >>>
      0;
    c =
      (T7[a & 0xff] as number) ^
      (T6[(a >>> 8) & 0xff] as number) ^
      (T5[(a >>> 16) & 0xff] as number) ^
      (T4[a >>> 24] as number) ^
      (T3[data[i + 4] as number] as number) ^
      (T2[data[i + 5] as number] as number) ^
      (T1[data[i + 6] as number] as number) ^
      (T0[data[i + 7] as number] as number);
    i += 8;
  }
  while (i < end) c = (T0[(c ^ (data[i++] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
