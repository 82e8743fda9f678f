import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/core/limits.js';
import { settingsOf } from '../../../src/client/produce-settings.js';

describe('produce settings', () => {
  it('fills in the defaults of src/core/limits.ts', () => {
    expect(settingsOf({})).toMatchObject({
      batchSize: LIMITS.defaultBatchCount,
      batchBytes: LIMITS.defaultBatchBytes,
      lingerMs: LIMITS.defaultLingerMs,
      maxInFlight: LIMITS.defaultMaxInFlight,
      dueAt: 0,
      gzip: false,
      retries: 5,
      idempotent: false,
    });
    expect(settingsOf({ maxMessageBytes: 4096 }).limits.maxMessageBytes).toBe(4096);
  });

  it('turns delayMs and at into a due time', () => {
    const before = Date.now();
    const { dueAt } = settingsOf({ delayMs: 5000 });
    expect(dueAt).toBeGreaterThanOrEqual(before + 5000);
    expect(settingsOf({ at: before + 1000 }).dueAt).toBe(before + 1000);
  });

  it('refuses bad values as usage errors that name the option', () => {
    const bad = [
      [{ batchSize: 0 }, 'batchSize'],
      [{ batchSize: 1001 }, 'batchSize'],
      [{ batchBytes: 9 * 1024 * 1024 }, 'batchBytes'],
      [{ maxInFlight: 1.5 }, 'maxInFlight'],
      [{ delayMs: -1 }, 'delayMs'],
      [{ delayMs: 5, at: 5 }, 'not both'],
      [{ at: Date.now() + 365 * 86_400_000 }, 'delayed by at most'],
      [{ compression: 'zstd' as 'gzip' }, 'compression'],
    ] as const;
    for (const [options, text] of bad) {
      expect(() => settingsOf(options)).toThrow(
        expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT', message: expect.stringContaining(text) }),
      );
    }
  });
});
