import { describe, expect, it } from 'vitest';
import { FANOUT, MemoryTimeIndex } from '../../../../src/broker/storage/memory-time-index.js';
import { seededRandom } from '../../../helpers/spawn-broker.js';

/** The answer by looking at every value. */
function bruteForce(values: readonly number[], from: number, time: number): number {
  for (let i = from; i < values.length; i++) if ((values[i] as number) >= time) return i;
  return -1;
}

describe('MemoryTimeIndex', () => {
  it('finds the first value at or above a bound past a position, as a scan does, at every size', () => {
    const random = seededRandom(20261202);
    const values: number[] = [];
    const index = new MemoryTimeIndex((i) => values[i] as number);
    // sizes around the block boundaries, with timestamps that mostly grow but jump back often
    for (let n = 0; n < FANOUT * FANOUT * 2 + 5; n++) {
      const v = random() < 0.3 ? Math.floor(random() * n) : n * 2 + Math.floor(random() * 5);
      values.push(v);
      index.push(v);
      if (n < 70 || n % 97 === 0 || n === FANOUT * FANOUT) {
        for (let q = 0; q < 20; q++) {
          const from = Math.floor(random() * (values.length + 1));
          const time = Math.floor(random() * (values.length * 2 + 10));
          expect(index.firstAtLeast(from, time), `n=${values.length} from=${from} time=${time}`).toBe(bruteForce(values, from, time));
        }
      }
    }
    expect(index.length).toBe(values.length);
  });

  it('starts again from the values it is given when rebuilt', () => {
    let values = [5, 1, 9, 3, 7];
    const index = new MemoryTimeIndex((i) => values[i] as number);
    for (const v of values) index.push(v);
    expect(index.firstAtLeast(0, 8)).toBe(2);
    values = values.slice(3); // the first three were dropped
    index.rebuild(values.length);
    expect(index.firstAtLeast(0, 8)).toBe(-1);
    expect(index.firstAtLeast(0, 6)).toBe(1);
    index.rebuild(0);
    expect(index.firstAtLeast(0, 0)).toBe(-1);
  });
});
