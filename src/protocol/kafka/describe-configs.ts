/**
 * DescribeConfigs (key 32), versions 0–3 (none flexible; v4 is flexible).
 *
 * ```text
 * request:  resources ARRAY(resource_type INT8, resource_name STRING,
 *             configuration_keys NULLABLE ARRAY(STRING)),        null = every config
 *           include_synonyms BOOLEAN                             v1+
 *           include_documentation BOOLEAN                        v3+
 * response: throttle_time_ms INT32,
 *           results ARRAY(error_code INT16, error_message NULLABLE_STRING,
 *             resource_type INT8, resource_name STRING,
 *             configs ARRAY(name STRING, value NULLABLE_STRING, read_only BOOLEAN,
 *               is_default BOOLEAN                               v0 only
 *               config_source INT8                               v1+
 *               is_sensitive BOOLEAN,
 *               synonyms ARRAY(name STRING, value NULLABLE_STRING, source INT8)   v1+
 *               config_type INT8                                 v3+
 *               documentation NULLABLE_STRING                    v3+))
 * ```
 *
 * Resource types: 2 topic, 4 broker, 8 broker logger. Config sources: 1 dynamic topic, 2 dynamic broker,
 * 3 dynamic default broker, 4 static broker, 5 default, 6 dynamic broker logger; -1 unknown. A v0 entry
 * carries `is_default` instead of a source: the writer sends `configSource === 5`, the reader gives source 5
 * when it is set and -1 when not. v2 answers quota violations before throttling (KIP-219): the same bytes
 * as v1. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export const CONFIG_RESOURCE_TYPE = { topic: 2, broker: 4, brokerLogger: 8 } as const;
export const CONFIG_SOURCE = {
  unknown: -1,
  dynamicTopic: 1,
  dynamicBroker: 2,
  dynamicDefaultBroker: 3,
  staticBroker: 4,
  default: 5,
  dynamicBrokerLogger: 6,
} as const;

export interface DescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  /** null: every config of the resource. */
  configurationKeys: string[] | null;
}

export interface DescribeConfigsRequest {
  resources: DescribeConfigsResource[];
  /** v1+; false below. */
  includeSynonyms: boolean;
  /** v3+; false below. */
  includeDocumentation: boolean;
}

export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribeConfigsEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** v1+ on the wire; v0 carries only whether it is CONFIG_SOURCE.default (read back as default or unknown). */
  configSource: number;
  isSensitive: boolean;
  /** v1+; empty below. */
  synonyms: DescribeConfigsSynonym[];
  /** v3+; 0 (unknown) below. */
  configType: number;
  /** v3+; null below. */
  documentation: string | null;
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsEntry[];
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

export const DESCRIBE_CONFIGS_LIMITS = { maxResources: 10_000, maxConfigs: 10_000, maxSynonyms: 100 } as const;

export function readDescribeConfigsRequest(
  r: KafkaReader,
  version: number,
  limits: { maxResources: number; maxConfigs: number } = DESCRIBE_CONFIGS_LIMITS,
): DescribeConfigsRequest {
  const resources = r.array(
    (x): DescribeConfigsResource => ({
      resourceType: x.int8(),
      resourceName: x.string(),
      configurationKeys: x.nullableArray((y) => y.string(), { max: limits.maxConfigs, minBytes: 2 }),
    }),
    { max: limits.maxResources, minBytes: 7 },
  );
  const includeSynonyms = version >= 1 ? r.boolean() : false;
  const includeDocumentation = version >= 3 ? r.boolean() : false;
  return { resources, includeSynonyms, includeDocumentation };
}

export function writeDescribeConfigsRequest(w: KafkaWriter, version: number, request: DescribeConfigsRequest): void {
  w.array(request.resources, (x, res) => {
    x.int8(res.resourceType).string(res.resourceName);
    x.nullableArray(res.configurationKeys, (y, key) => y.string(key));
  });
  if (version >= 1) w.boolean(request.includeSynonyms);
  if (version >= 3) w.boolean(request.includeDocumentation);
}

export function writeDescribeConfigsResponse(w: KafkaWriter, version: number, response: DescribeConfigsResponse): void {
  w.int32(response.throttleTimeMs);
  w.array(response.results, (x, res) => {
    x.int16(res.errorCode).nullableString(res.errorMessage).int8(res.resourceType).string(res.resourceName);
    x.array(res.configs, (y, c) => {
      y.string(c.name).nullableString(c.value).boolean(c.readOnly);
      if (version >= 1) y.int8(c.configSource);
      else y.boolean(c.configSource === CONFIG_SOURCE.default);
      y.boolean(c.isSensitive);
      if (version >= 1) y.array(c.synonyms, (z, s) => z.string(s.name).nullableString(s.value).int8(s.source));
      if (version >= 3) y.int8(c.configType).nullableString(c.documentation);
    });
  });
}

function readEntry(y: KafkaReader, version: number): DescribeConfigsEntry {
  const name = y.string();
  const value = y.nullableString();
  const readOnly = y.boolean();
  const configSource = version >= 1 ? y.int8() : y.boolean() ? CONFIG_SOURCE.default : CONFIG_SOURCE.unknown;
  const isSensitive = y.boolean();
  const synonyms =
    version >= 1
      ? y.array((z): DescribeConfigsSynonym => ({ name: z.string(), value: z.nullableString(), source: z.int8() }), {
          max: DESCRIBE_CONFIGS_LIMITS.maxSynonyms,
          minBytes: 5,
        })
      : [];
  const configType = version >= 3 ? y.int8() : 0;
  const documentation = version >= 3 ? y.nullableString() : null;
  return { name, value, readOnly, configSource, isSensitive, synonyms, configType, documentation };
}

export function readDescribeConfigsResponse(r: KafkaReader, version: number): DescribeConfigsResponse {
  const throttleTimeMs = r.int32();
  const results = r.array(
    (x): DescribeConfigsResult => ({
      errorCode: x.int16(),
      errorMessage: x.nullableString(),
      resourceType: x.int8(),
      resourceName: x.string(),
      configs: x.array((y) => readEntry(y, version), {
        max: DESCRIBE_CONFIGS_LIMITS.maxConfigs,
        minBytes: version >= 3 ? 14 : version >= 1 ? 11 : 7,
      }),
    }),
    { max: DESCRIBE_CONFIGS_LIMITS.maxResources, minBytes: 11 },
  );
  return { throttleTimeMs, results };
}
