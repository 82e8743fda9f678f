/**
 * The APIs the listener implements, the versions it advertises (only what is implemented and tested), and
 * the one place a request frame becomes a response frame. ApiVersions is answered here: a client that asks
 * for a newer ApiVersions than the broker speaks gets UNSUPPORTED_VERSION in a v0 reply that names the range
 * (KIP-511), and retries within it. An API or version not advertised, or a request that does not parse,
 * closes the connection, as a Kafka broker does.
 */
import {
  API_KEY,
  CODEC_VERSIONS,
  apiName,
  responseHeaderVersion,
  type ApiName,
  type ApiVersionRange,
} from '../../protocol/kafka/api-keys.js';
import {
  API_VERSIONS_MAX_VERSION,
  apiVersionsResponseFrame,
  apiVersionsUnsupportedFrame,
  readApiVersionsRequest,
} from '../../protocol/kafka/api-versions.js';
import { KafkaCodecError } from '../../protocol/kafka/codec-error.js';
import { frame, readRequestHeader, writeResponseHeader } from '../../protocol/kafka/header.js';
import { KafkaReader } from '../../protocol/kafka/reader.js';
import { handleDeleteGroups, handleDescribeGroups, handleListGroups } from './admin-groups.js';
import { handleCreatePartitions, handleCreateTopics, handleDeleteTopics } from './admin-topics.js';
import type { KafkaContext } from './context.js';
import { handleDescribeConfigs } from './describe-configs.js';
import { handleFetch } from './fetch.js';
import { handleFindCoordinator, handleHeartbeat, handleJoinGroup, handleLeaveGroup, handleSyncGroup } from './groups.js';
import { handleOffsetCommit, handleOffsetFetch } from './offsets.js';
import { handleInitProducerId } from './init-producer-id.js';
import { handleListOffsets } from './list-offsets.js';
import { handleMetadata } from './metadata.js';
import { handleProduce } from './produce.js';
import type { KafkaHandler, KafkaSession } from './request.js';
import { handleSaslAuthenticate, handleSaslHandshake } from './sasl.js';

const HANDLERS: Partial<Record<ApiName, KafkaHandler>> = {
  Produce: handleProduce,
  Fetch: handleFetch,
  ListOffsets: handleListOffsets,
  Metadata: handleMetadata,
  OffsetCommit: handleOffsetCommit,
  OffsetFetch: handleOffsetFetch,
  FindCoordinator: handleFindCoordinator,
  JoinGroup: handleJoinGroup,
  Heartbeat: handleHeartbeat,
  LeaveGroup: handleLeaveGroup,
  SyncGroup: handleSyncGroup,
  ListGroups: handleListGroups,
  DescribeGroups: handleDescribeGroups,
  DeleteGroups: handleDeleteGroups,
  InitProducerId: handleInitProducerId,
  SaslHandshake: handleSaslHandshake,
  CreateTopics: handleCreateTopics,
  DeleteTopics: handleDeleteTopics,
  DescribeConfigs: handleDescribeConfigs,
  SaslAuthenticate: handleSaslAuthenticate,
  CreatePartitions: handleCreatePartitions,
};

/** APIs a connection may use before it has authenticated. */
const BEFORE_AUTH: ReadonlySet<number> = new Set([API_KEY.ApiVersions, API_KEY.SaslHandshake, API_KEY.SaslAuthenticate]);

/** The advertised table: every implemented API at the codec's versions, in key order. */
export const ADVERTISED: readonly ApiVersionRange[] = (Object.keys(HANDLERS) as ApiName[])
  .concat('ApiVersions')
  .map((name) => {
    const [minVersion, maxVersion] = CODEC_VERSIONS[name] as readonly [number, number];
    return { apiKey: API_KEY[name], minVersion, maxVersion };
  })
  .sort((a, b) => a.apiKey - b.apiKey);

const RANGE = new Map(ADVERTISED.map((r) => [r.apiKey, r]));

/** Why a connection is closed instead of answered. */
export class ConnectionRefusal extends Error {
  override name = 'ConnectionRefusal';
}

/**
 * The response frame to one request frame (without its size prefix), or null when the request is answered
 * by nothing. Throws ConnectionRefusal when the connection must close.
 */
export async function dispatch(ctx: KafkaContext, frameBytes: Buffer, session: KafkaSession, signal: AbortSignal): Promise<Buffer | null> {
  const body = new KafkaReader(frameBytes);
  let header;
  try {
    header = readRequestHeader(body);
  } catch (error) {
    throw new ConnectionRefusal(`a request header that does not parse: ${(error as Error).message}`);
  }
  const { apiKey, apiVersion, correlationId } = header;
  const name = apiName(apiKey) ?? `key ${apiKey}`;
  if (!session.authenticated && !BEFORE_AUTH.has(apiKey)) {
    throw new ConnectionRefusal(
      `${name} before SASL authentication: this broker has a token (connect with SASL/PLAIN, password = the token)`,
    );
  }
  if (apiKey === API_KEY.ApiVersions) {
    if (apiVersion > API_VERSIONS_MAX_VERSION || apiVersion < 0) return apiVersionsUnsupportedFrame(correlationId);
    try {
      readApiVersionsRequest(body, apiVersion);
    } catch (error) {
      throw new ConnectionRefusal(`an ApiVersions request that does not parse: ${(error as Error).message}`);
    }
    return apiVersionsResponseFrame(correlationId, apiVersion, ADVERTISED);
  }
  const range = RANGE.get(apiKey);
  const handler = HANDLERS[apiName(apiKey) as ApiName];
  if (range === undefined || handler === undefined || apiVersion < range.minVersion || apiVersion > range.maxVersion) {
    throw new ConnectionRefusal(`${name} v${apiVersion} is not supported (ApiVersions lists what is)`);
  }
  let answer;
  try {
    answer = await handler(ctx, { header, body, session, signal });
  } catch (error) {
    if (error instanceof KafkaCodecError && error.kafkaError === 'INVALID_REQUEST') {
      throw new ConnectionRefusal(`${name} v${apiVersion} that does not parse: ${error.message}`);
    }
    throw error;
  }
  if (answer === null) return null;
  const write = answer;
  return frame((w) => {
    writeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, apiVersion));
    write(w);
  });
}
