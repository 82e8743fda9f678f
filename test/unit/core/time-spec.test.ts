import { describe, expect, it } from 'vitest';
import { looksLikeTime, parseSince, parseTimePoint } from '../../../src/core/time-spec.js';

describe('parseTimePoint', () => {
  it('reads ISO 8601 with a zone, to the millisecond', () => {
    expect(parseTimePoint('2026-12-01T09:00:00Z')).toBe(Date.UTC(2026, 11, 1, 9, 0, 0));
    expect(parseTimePoint('2026-12-01T10:00:00.250+01:00')).toBe(Date.UTC(2026, 11, 1, 9, 0, 0, 250));
    expect(parseTimePoint('2026-12-01 04:00-0500')).toBe(Date.UTC(2026, 11, 1, 9, 0, 0));
    expect(parseTimePoint('2026-12-01t09:00z')).toBe(Date.UTC(2026, 11, 1, 9, 0, 0));
  });

  it('reads @MS as kcat does', () => {
    expect(parseTimePoint('@1764579600000')).toBe(1764579600000);
    expect(parseTimePoint(' @0 ')).toBe(0);
  });

  it('refuses a time without a zone, a date alone and anything else, saying what to write', () => {
    expect(() => parseTimePoint('2026-12-01T09:00:00')).toThrow(/no time zone: add Z for UTC \(2026-12-01T09:00:00Z\)/);
    expect(() => parseTimePoint('2026-12-01')).toThrow(/no time of day: write it like 2026-12-01T09:00:00Z/);
    expect(() => parseTimePoint('yesterday')).toThrow(/expected ISO 8601 with a zone .* or @MS/);
    expect(() => parseTimePoint('@-5')).toThrow(/invalid time/);
    expect(() => parseTimePoint('@99999999999999999')).toThrow(/invalid time/);
    expect(() => parseTimePoint('2026-13-45T09:00:00Z')).toThrow(/invalid time/);
  });

  it('tells times from offsets', () => {
    expect(looksLikeTime('@1')).toBe(true);
    expect(looksLikeTime('2026-12-01T09:00:00Z')).toBe(true);
    expect(looksLikeTime('42')).toBe(false);
    expect(looksLikeTime('-10')).toBe(false);
    expect(looksLikeTime('earliest')).toBe(false);
  });
});

describe('parseSince', () => {
  it('is now minus the duration, never before the epoch', () => {
    expect(parseSince('5m', 1_000_000)).toBe(700_000);
    expect(parseSince('1h', 1000)).toBe(0);
  });

  it('wants a unit', () => {
    expect(() => parseSince('5', 1_000_000)).toThrow(/needs a unit/);
  });
});
