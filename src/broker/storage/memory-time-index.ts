/**
 * The time index of the memory log: the largest timestamp of each batch (read through `leaf`), of every
 * {@link FANOUT} batches, of every {@link FANOUT} of those, and so on. "The first batch at or after position
 * `from` holding a record stamped at or after T" is then found in O(FANOUT × log n) comparisons without
 * looking at the batches in between, however the timestamps go (they may go backwards), and the levels above
 * the batches cost about 1/FANOUT of a number per batch. Pure: no I/O.
 */
export const FANOUT = 32;

export class MemoryTimeIndex {
  /** `levels[k][j]`: the largest timestamp of batches `j × FANOUT^(k+1)` to `(j + 1) × FANOUT^(k+1) - 1`. */
  private levels: number[][] = [];
  private count = 0;

  /** `leaf(i)` is the largest timestamp of batch `i`. */
  constructor(private readonly leaf: (i: number) => number) {}

  get length(): number {
    return this.count;
  }

  /** Notes that batch `length` was added, its largest timestamp being `maxTimestamp`. */
  push(maxTimestamp: number): void {
    let index = this.count++;
    for (let k = 0; ; k++) {
      index = Math.floor(index / FANOUT);
      let level = this.levels[k];
      if (level === undefined) {
        // a new top level is needed once the level below has more than one node
        const below = k === 0 ? this.count : (this.levels[k - 1] as number[]).length;
        if (below <= 1) return;
        level = [];
        for (let j = 0; j * FANOUT < below; j++) level.push(this.maxBelow(k, j));
        this.levels.push(level);
        return;
      }
      if (index < level.length) {
        if ((level[index] as number) >= maxTimestamp) return;
        level[index] = maxTimestamp;
      } else level.push(maxTimestamp);
    }
  }

  /** Forgets everything and indexes `count` batches (after the batches were renumbered). */
  rebuild(count: number): void {
    this.levels = [];
    this.count = 0;
    for (let i = 0; i < count; i++) this.push(this.leaf(i));
  }

  /** Position of the first batch at or after `from` whose largest timestamp is at or above `time`; -1 when none is. */
  firstAtLeast(from: number, time: number): number {
    let k = -1; // -1: the batches themselves
    let i = from;
    // climb: the rest of the current block at each level, then the next block one level up
    for (;;) {
      const size = this.sizeOf(k);
      const top = k === this.levels.length - 1;
      const end = top ? size : Math.min(size, (Math.floor(i / FANOUT) + 1) * FANOUT);
      for (; i < end; i++) {
        if (this.valueAt(k, i) >= time) return this.descend(k, i, time);
      }
      if (top || i >= size) return -1;
      i = i / FANOUT;
      k++;
    }
  }

  /** From node `i` of level `k`, which holds a timestamp at or above `time`, down to the first such batch. */
  private descend(k: number, i: number, time: number): number {
    let node = i;
    for (let level = k; level >= 0; level--) {
      const below = level - 1;
      const size = this.sizeOf(below);
      let child = node * FANOUT;
      const end = Math.min(size, child + FANOUT);
      while (child < end && this.valueAt(below, child) < time) child++;
      node = child;
    }
    return node;
  }

  private sizeOf(k: number): number {
    return k < 0 ? this.count : (this.levels[k] as number[]).length;
  }

  private valueAt(k: number, i: number): number {
    return k < 0 ? this.leaf(i) : ((this.levels[k] as number[])[i] as number);
  }

  /** The largest timestamp under node `j` of level `k`, from the level below. */
  private maxBelow(k: number, j: number): number {
    let max = -1;
    const size = this.sizeOf(k - 1);
    for (let c = j * FANOUT; c < Math.min(size, (j + 1) * FANOUT); c++) max = Math.max(max, this.valueAt(k - 1, c));
    return max;
  }
}
