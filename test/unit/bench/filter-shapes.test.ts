import { describe, expect, it } from 'vitest';
import { compileFilter } from '../../../src/core/filter/index.js';
import { shapeRecord, shapesForFilter } from '../../../src/bench/filter-shapes.js';
import { buildShapes } from '../../../src/bench/payload.js';
import { parseScenario } from '../../../src/bench/scenario.js';
import { STAMP_HEADER } from '../../../src/bench/stamp.js';
import { EvqError } from '../../../src/errors.js';

const STAMP = { [STAMP_HEADER]: '0'.repeat(80) };

describe('shaping messages for a filter', () => {
  for (const filter of [
    'value.amount > 100',
    'value.amount > 100 && headers.type == "deposit"',
    'key in ["a", "b"]',
    'value.tags contains "red"',
    'value.name startsWith "ev" || value.name endsWith "q"',
    'not (value.kind == "noise")',
    'value.path like "orders/*/paid?"',
    'exists(value.id) && value.items[2] >= 3',
    '"admin" in value.roles',
    'value == 42',
    'headers["content-type"] != "text/plain" && value.n <= -5',
  ]) {
    it(`finds a matching and a non-matching message for ${filter}`, () => {
      const match = compileFilter(filter);
      const shapes = shapesForFilter(filter, 100, 'bench-t', STAMP);
      expect(shapes.matching, 'matching').not.toBeNull();
      expect(shapes.other, 'other').not.toBeNull();
      expect(match(shapeRecord(shapes.matching!, 'bench-t', STAMP))).toBe(true);
      expect(match(shapeRecord(shapes.other!, 'bench-t', STAMP))).toBe(false);
    });
  }

  it('pads JSON object values to --size when the filter still judges them the same', () => {
    const shapes = shapesForFilter('value.amount > 100', 200, 't', STAMP);
    expect(shapes.matching!.value.length).toBe(200);
    expect(JSON.parse(shapes.matching!.value.toString()).amount).toBeGreaterThan(100);
  });

  it('buildShapes sorts --payload-file payloads with the filter, and says when a kind is missing', () => {
    const payloads = ['{"amount": 5}', '{"amount": 500}', 'not json'].map((p) => Buffer.from(p));
    const scenario = parseScenario({ url: 'http://x:1', filter: 'value.amount > 100', matchRatio: 0.5, payloads, payloadFile: 'p.txt' });
    const shapes = buildShapes(scenario);
    expect(shapes.matching.map((s) => s.value.toString())).toEqual(['{"amount": 500}']);
    expect(shapes.other.map((s) => s.value.toString())).toEqual(['{"amount": 5}', 'not json']);
    const none = parseScenario({ url: 'http://x:1', filter: 'value.amount > 1000', payloads, payloadFile: 'p.txt' });
    expect(() => buildShapes(none)).toThrow(/no message matches the filter .* give payloads that match with --payload-file/);
    const all = parseScenario({ url: 'http://x:1', filter: 'value.amount > 100 || true', matchRatio: 0.5 });
    expect(() => buildShapes(all)).toThrow(EvqError);
  });

  it('a filter on the offset alone cannot be shaped: a usage error that says to give payloads', () => {
    const scenario = parseScenario({ url: 'http://x:1', filter: 'offset > 1000000', matchRatio: 0.5 });
    expect(() => buildShapes(scenario)).toThrow(/--payload-file/);
  });
});
