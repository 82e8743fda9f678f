/**
 * Kafka's API keys, the version range evq's codec speaks for each (issue 16's table, measured against
 * kcat 1.7, kafkajs 2.2.4 and librdkafka), and the first flexible version of each as Kafka's message
 * schemas (`clients/src/main/resources/common/message/*.json`, `flexibleVersions`) fix it. A flexible
 * version has compact strings and arrays, tagged fields, request header v2 and response header v1 — except
 * ApiVersions, whose response header stays v0 at every version (KIP-511: a client reads it before it knows
 * what the broker speaks). The listener answers only what is in its advertised table, and can refuse a
 * flexible version it does not advertise. Pure.
 */

export const API_KEY = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
} as const;

export type ApiName = keyof typeof API_KEY;
export type ApiKey = (typeof API_KEY)[ApiName];

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** The first flexible version of each API per Kafka's schemas (`null`: no version is flexible). */
export const FIRST_FLEXIBLE_VERSION: Readonly<Record<ApiName, number | null>> = {
  Produce: 9,
  Fetch: 12,
  ListOffsets: 6,
  Metadata: 9,
  OffsetCommit: 8,
  OffsetFetch: 6,
  FindCoordinator: 3,
  JoinGroup: 6,
  Heartbeat: 4,
  LeaveGroup: 4,
  SyncGroup: 4,
  DescribeGroups: 5,
  ListGroups: 3,
  SaslHandshake: null,
  ApiVersions: 3,
  CreateTopics: 5,
  DeleteTopics: 4,
  DeleteRecords: 2,
  InitProducerId: 2,
  OffsetForLeaderEpoch: 4,
  AddPartitionsToTxn: 3,
  AddOffsetsToTxn: 3,
  EndTxn: 3,
  TxnOffsetCommit: 3,
  DescribeConfigs: 4,
  AlterConfigs: 2,
  SaslAuthenticate: 2,
  CreatePartitions: 2,
  DeleteGroups: 2,
};

/**
 * The versions evq's codec speaks: issue 16's table (no flexible version but ApiVersions v3), the admin APIs
 * at their last classic version. The listener advertises the part of it that it implements.
 */
export const CODEC_VERSIONS: Readonly<Partial<Record<ApiName, readonly [min: number, max: number]>>> = {
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
  DescribeGroups: [0, 4],
  ListGroups: [0, 2],
  SaslHandshake: [0, 1],
  ApiVersions: [0, 3],
  CreateTopics: [0, 3],
  DeleteTopics: [0, 3],
  InitProducerId: [0, 1],
  DescribeConfigs: [0, 3],
  SaslAuthenticate: [0, 1],
  CreatePartitions: [0, 1],
  DeleteGroups: [0, 1],
};

const NAME_OF = new Map<number, ApiName>(Object.entries(API_KEY).map(([name, key]) => [key, name as ApiName]));

/** The name of an API key, or undefined for one this table does not know. */
export function apiName(apiKey: number): ApiName | undefined {
  return NAME_OF.get(apiKey);
}

/** Whether `apiVersion` of `apiKey` uses the flexible encoding (false for an API this table does not know). */
export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const name = NAME_OF.get(apiKey);
  if (name === undefined) return false;
  const first = FIRST_FLEXIBLE_VERSION[name];
  return first !== null && apiVersion >= first;
}

/** The request header version: 2 for a flexible request, else 1. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 1 | 2 {
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

/** The response header version: 1 for a flexible response, else 0; ApiVersions is always 0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === API_KEY.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

/** The codec's table as ApiVersions entries, in key order; `only` keeps the named APIs. */
export function codecVersionTable(only?: readonly ApiName[]): ApiVersionRange[] {
  const out: ApiVersionRange[] = [];
  for (const [name, range] of Object.entries(CODEC_VERSIONS) as [ApiName, readonly [number, number]][]) {
    if (only !== undefined && !only.includes(name)) continue;
    out.push({ apiKey: API_KEY[name], minVersion: range[0], maxVersion: range[1] });
  }
  return out.sort((a, b) => a.apiKey - b.apiKey);
}

/** Whether `table` holds `apiVersion` of `apiKey`. */
export function versionSupported(table: readonly ApiVersionRange[], apiKey: number, apiVersion: number): boolean {
  return table.some((r) => r.apiKey === apiKey && apiVersion >= r.minVersion && apiVersion <= r.maxVersion);
}
