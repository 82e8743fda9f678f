import { describe, expect, it } from 'vitest';
import {
  API_KEY,
  CODEC_VERSIONS,
  FIRST_FLEXIBLE_VERSION,
  apiName,
  codecVersionTable,
  isFlexible,
  requestHeaderVersion,
  responseHeaderVersion,
  versionSupported,
  type ApiName,
} from '../../../../src/protocol/kafka/api-keys.js';

describe('Kafka API keys and versions', () => {
  it('issue 16 table: every version is classic except ApiVersions v3', () => {
    const flexible: string[] = [];
    for (const [name, [min, max]] of Object.entries(CODEC_VERSIONS) as [ApiName, readonly [number, number]][]) {
      for (let v = min; v <= max; v++) if (isFlexible(API_KEY[name], v)) flexible.push(`${name} v${v}`);
    }
    expect(flexible).toEqual(['ApiVersions v3']);
  });

  it('the ranges of issue 16, Produce from v0 (librdkafka 2.0 compresses gzip and snappy only when the range holds v0)', () => {
    const table = Object.fromEntries(codecVersionTable().map((r) => [apiName(r.apiKey), [r.minVersion, r.maxVersion]]));
    expect(table).toMatchObject({
      Produce: [0, 7],
      Fetch: [4, 11],
      ListOffsets: [1, 3],
      Metadata: [0, 6],
      OffsetCommit: [2, 5],
      OffsetFetch: [1, 4],
      FindCoordinator: [0, 2],
      JoinGroup: [0, 5],
      Heartbeat: [0, 3],
      LeaveGroup: [0, 1],
      SyncGroup: [0, 3],
      ApiVersions: [0, 3],
      CreateTopics: [0, 3],
      InitProducerId: [0, 1],
    });
    // Metadata >= 7 makes librdkafka send OffsetForLeaderEpoch; transactions are not spoken
    expect(table).not.toHaveProperty('OffsetForLeaderEpoch');
    expect(table).not.toHaveProperty('AddPartitionsToTxn');
    expect(table).not.toHaveProperty('EndTxn');
  });

  it('flexible thresholds as Kafka schemas state them', () => {
    expect(FIRST_FLEXIBLE_VERSION).toMatchObject({
      Produce: 9,
      Fetch: 12,
      Metadata: 9,
      ApiVersions: 3,
      FindCoordinator: 3,
      JoinGroup: 6,
      SaslHandshake: null,
    });
    expect(isFlexible(API_KEY.Metadata, 8)).toBe(false);
    expect(isFlexible(API_KEY.Metadata, 9)).toBe(true);
    expect(isFlexible(API_KEY.SaslHandshake, 1)).toBe(false);
    expect(isFlexible(999, 50)).toBe(false);
  });

  it('header versions: flexible requests take header v2, ApiVersions responses stay v0', () => {
    expect(requestHeaderVersion(API_KEY.ApiVersions, 3)).toBe(2);
    expect(requestHeaderVersion(API_KEY.ApiVersions, 2)).toBe(1);
    expect(requestHeaderVersion(API_KEY.Fetch, 12)).toBe(2);
    expect(responseHeaderVersion(API_KEY.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(API_KEY.Fetch, 12)).toBe(1);
    expect(responseHeaderVersion(API_KEY.Fetch, 11)).toBe(0);
  });

  it('tables are sorted by key, filterable and queried by version', () => {
    const all = codecVersionTable();
    expect(all.map((r) => r.apiKey)).toEqual([...all.map((r) => r.apiKey)].sort((a, b) => a - b));
    const some = codecVersionTable(['ApiVersions', 'Metadata']);
    expect(some).toEqual([
      { apiKey: 3, minVersion: 0, maxVersion: 6 },
      { apiKey: 18, minVersion: 0, maxVersion: 3 },
    ]);
    expect(versionSupported(some, API_KEY.Metadata, 6)).toBe(true);
    expect(versionSupported(some, API_KEY.Metadata, 7)).toBe(false);
    expect(versionSupported(some, API_KEY.Produce, 3)).toBe(false);
    expect(apiName(18)).toBe('ApiVersions');
    expect(apiName(1000)).toBeUndefined();
  });
});
