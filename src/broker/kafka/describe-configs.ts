/**
 * DescribeConfigs for topics (resource type 2) and for the broker (4): the few configs clients read, from the
 * broker's real settings (its limits and the topic store's retention, segment size and default partitions).
 * evq has one set of settings for every topic, so a topic's retention is the broker's: the topic entry is
 * STATIC_BROKER_CONFIG with the broker config as its synonym; what evq fixes (cleanup.policy=delete,
 * CreateTime timestamps, one replica) is DEFAULT_CONFIG. Every entry is read-only (there is no AlterConfigs).
 * Unlimited retention is -1, as in Kafka.
 *
 * `configuration_keys` filters the entries (a name evq does not report is left out, as Kafka does). A topic
 * that does not exist is UNKNOWN_TOPIC_OR_PARTITION; a broker name other than this node's id (or "") and any
 * other resource type are INVALID_REQUEST, each with a one-line message.
 */
import {
  CONFIG_RESOURCE_TYPE,
  CONFIG_SOURCE,
  readDescribeConfigsRequest,
  writeDescribeConfigsResponse,
  type DescribeConfigsEntry,
  type DescribeConfigsResource,
  type DescribeConfigsResult,
} from '../../protocol/kafka/describe-configs.js';
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import { isValidTopicName } from '../../protocol/validate.js';
import type { KafkaContext } from './context.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

/** Kafka's ConfigType (DescribeConfigs v3 `config_type`). */
const TYPE = { boolean: 1, string: 2, int: 3, short: 4, long: 5, list: 7 } as const;

interface Config {
  name: string;
  value: string;
  type: number;
  source: number;
  /** The broker config a topic config comes from. */
  synonym?: string;
}

function topicConfigs(ctx: KafkaContext): Config[] {
  const s = ctx.broker.store.settings;
  const fromBroker = CONFIG_SOURCE.staticBroker;
  return [
    { name: 'cleanup.policy', value: 'delete', type: TYPE.list, source: CONFIG_SOURCE.default },
    { name: 'retention.ms', value: String(s.retentionAgeMs ?? -1), type: TYPE.long, source: fromBroker, synonym: 'log.retention.ms' },
    {
      name: 'retention.bytes',
      value: String(s.retentionBytes ?? -1),
      type: TYPE.long,
      source: fromBroker,
      synonym: 'log.retention.bytes',
    },
    {
      name: 'max.message.bytes',
      value: String(ctx.broker.limits.maxMessageBytes),
      type: TYPE.int,
      source: fromBroker,
      synonym: 'message.max.bytes',
    },
    { name: 'segment.bytes', value: String(s.segmentBytes), type: TYPE.int, source: fromBroker, synonym: 'log.segment.bytes' },
    { name: 'message.timestamp.type', value: 'CreateTime', type: TYPE.string, source: CONFIG_SOURCE.default },
    { name: 'min.insync.replicas', value: '1', type: TYPE.int, source: CONFIG_SOURCE.default },
  ];
}

function brokerConfigs(ctx: KafkaContext): Config[] {
  const s = ctx.broker.store.settings;
  const fixed = CONFIG_SOURCE.default;
  const set = CONFIG_SOURCE.staticBroker;
  return [
    { name: 'broker.id', value: String(ctx.config.nodeId), type: TYPE.int, source: set },
    { name: 'log.retention.ms', value: String(s.retentionAgeMs ?? -1), type: TYPE.long, source: set },
    { name: 'log.retention.bytes', value: String(s.retentionBytes ?? -1), type: TYPE.long, source: set },
    { name: 'log.segment.bytes', value: String(s.segmentBytes), type: TYPE.int, source: set },
    { name: 'message.max.bytes', value: String(ctx.broker.limits.maxMessageBytes), type: TYPE.int, source: set },
    { name: 'auto.create.topics.enable', value: 'true', type: TYPE.boolean, source: fixed },
    { name: 'num.partitions', value: String(s.defaultPartitions), type: TYPE.int, source: set },
    { name: 'default.replication.factor', value: '1', type: TYPE.int, source: fixed },
    { name: 'offsets.topic.replication.factor', value: '1', type: TYPE.short, source: fixed },
  ];
}

function entry(c: Config, synonyms: boolean): DescribeConfigsEntry {
  return {
    name: c.name,
    value: c.value,
    readOnly: true,
    configSource: c.source,
    isSensitive: false,
    synonyms: !synonyms
      ? []
      : c.synonym === undefined
        ? [{ name: c.name, value: c.value, source: c.source }]
        : [{ name: c.synonym, value: c.value, source: c.source }],
    configType: c.type,
    documentation: null,
  };
}

function describe(ctx: KafkaContext, res: DescribeConfigsResource, synonyms: boolean): DescribeConfigsResult {
  const base = { resourceType: res.resourceType, resourceName: res.resourceName };
  const fail = (errorCode: number, errorMessage: string): DescribeConfigsResult => ({ ...base, errorCode, errorMessage, configs: [] });
  let configs: Config[];
  if (res.resourceType === CONFIG_RESOURCE_TYPE.topic) {
    const name: string = res.resourceName;
    if (!isValidTopicName(name)) {
      return fail(KAFKA_ERROR.INVALID_TOPIC_EXCEPTION, `"${res.resourceName.slice(0, 100)}" is not a valid topic name`);
    }
    if (ctx.broker.store.get(res.resourceName) === undefined) {
      return fail(KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, `topic "${res.resourceName}" does not exist`);
    }
    configs = topicConfigs(ctx);
  } else if (res.resourceType === CONFIG_RESOURCE_TYPE.broker) {
    const id = String(ctx.config.nodeId);
    if (res.resourceName !== id && res.resourceName !== '') {
      return fail(KAFKA_ERROR.INVALID_REQUEST, `unexpected broker id "${res.resourceName.slice(0, 100)}": this broker is ${id}`);
    }
    configs = brokerConfigs(ctx);
  } else {
    return fail(
      KAFKA_ERROR.INVALID_REQUEST,
      `resource type ${res.resourceType} is not supported: evq describes topics (2) and the broker (4)`,
    );
  }
  const keys = res.configurationKeys === null ? null : new Set(res.configurationKeys);
  const chosen = keys === null ? configs : configs.filter((c) => keys.has(c.name));
  return { ...base, errorCode: KAFKA_ERROR.NONE, errorMessage: null, configs: chosen.map((c) => entry(c, synonyms)) };
}

export function handleDescribeConfigs(ctx: KafkaContext, { header, body }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const request = readDescribeConfigsRequest(body, version);
  const results = request.resources.map((res) => describe(ctx, res, request.includeSynonyms));
  return (w) => writeDescribeConfigsResponse(w, version, { throttleTimeMs: 0, results });
}
