import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_SOURCE,
  readDescribeConfigsRequest,
  readDescribeConfigsResponse,
  writeDescribeConfigsRequest,
  writeDescribeConfigsResponse,
  type DescribeConfigsResponse,
} from '../../../../src/protocol/kafka/describe-configs.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const response: DescribeConfigsResponse = {
  throttleTimeMs: 2,
  results: [
    {
      errorCode: 0,
      errorMessage: null,
      resourceType: 2,
      resourceName: 'orders',
      configs: [
        {
          name: 'cleanup.policy',
          value: 'compact',
          readOnly: false,
          configSource: CONFIG_SOURCE.dynamicTopic,
          isSensitive: false,
          synonyms: [
            { name: 'cleanup.policy', value: 'compact', source: CONFIG_SOURCE.dynamicTopic },
            { name: 'log.cleanup.policy', value: 'delete', source: CONFIG_SOURCE.default },
          ],
          configType: 7,
          documentation: 'What to do with old segments.',
        },
        {
          name: 'retention.ms',
          value: '604800000',
          readOnly: false,
          configSource: CONFIG_SOURCE.default,
          isSensitive: false,
          synonyms: [],
          configType: 5,
          documentation: null,
        },
        {
          name: 'sasl.jaas.config',
          value: null,
          readOnly: true,
          configSource: CONFIG_SOURCE.staticBroker,
          isSensitive: true,
          synonyms: [],
          configType: 9,
          documentation: null,
        },
      ],
    },
    { errorCode: 3, errorMessage: 'Topic gone does not exist', resourceType: 2, resourceName: 'gone', configs: [] },
  ],
};

/** What a version carries: v0 a default flag only (non-default reads back as unknown), no synonyms; type and documentation v3+. */
function at(version: number): DescribeConfigsResponse {
  return {
    ...response,
    results: response.results.map((res) => ({
      ...res,
      configs: res.configs.map((c) => ({
        ...c,
        configSource: version >= 1 || c.configSource === CONFIG_SOURCE.default ? c.configSource : CONFIG_SOURCE.unknown,
        synonyms: version >= 1 ? c.synonyms : [],
        configType: version >= 3 ? c.configType : 0,
        documentation: version >= 3 ? c.documentation : null,
      })),
    })),
  };
}

describe('DescribeConfigs v0–v3', () => {
  it.each([0, 1, 2])('decodes kafkajs-describe-configs-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-describe-configs-v${version}`,
      version,
      readDescribeConfigsRequest,
      writeDescribeConfigsRequest,
      'DescribeConfigs',
    );
    expect(request.resources).toEqual([
      { resourceType: 2, resourceName: 'orders', configurationKeys: ['cleanup.policy', 'retention.ms'] },
      { resourceType: 4, resourceName: '1', configurationKeys: null },
    ]);
    expect(request.includeSynonyms).toBe(version >= 1);
  });

  it('v3 (which kafkajs lacks) adds include_documentation after the v2 bytes', () => {
    const v2 = fixtureRequestBody('kafkajs-describe-configs-v2');
    const request = {
      resources: [
        { resourceType: 2, resourceName: 'orders', configurationKeys: ['cleanup.policy', 'retention.ms'] },
        { resourceType: 4, resourceName: '1', configurationKeys: null },
      ],
      includeSynonyms: true,
      includeDocumentation: true,
    };
    expect(roundTrip(3, request, writeDescribeConfigsRequest, readDescribeConfigsRequest)).toEqual(Buffer.concat([v2, Buffer.from([1])]));
  });

  it.each([0, 1, 2, 3])('our v%i response reads back whole', (version) => {
    roundTrip(version, response, writeDescribeConfigsResponse, readDescribeConfigsResponse, at(version));
  });

  it("v3 (which kafkajs lacks) lays an entry out as Kafka's schema does: type and documentation after the synonyms", () => {
    const str = (t: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(t)]), Buffer.from(t)]);
    const int32 = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
    const one: DescribeConfigsResponse = {
      throttleTimeMs: 0,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: 't',
          configs: [
            {
              name: 'k',
              value: 'v',
              readOnly: true,
              configSource: 1,
              isSensitive: false,
              synonyms: [{ name: 's', value: null, source: 5 }],
              configType: 3,
              documentation: 'd',
            },
          ],
        },
      ],
    };
    const expected = Buffer.concat([
      int32(0),
      int32(1),
      Buffer.from([0, 0, 0xff, 0xff, 2]),
      str('t'),
      int32(1),
      str('k'),
      str('v'),
      Buffer.from([1, 1, 0]),
      int32(1),
      str('s'),
      Buffer.from([0xff, 0xff, 5]),
      Buffer.from([3]),
      str('d'),
    ]);
    expect(roundTrip(3, one, writeDescribeConfigsResponse, readDescribeConfigsResponse)).toEqual(expected);
  });

  it.each([0, 1, 2])("kafkajs's v%i decoder reads our response", async (version) => {
    const body = roundTrip(version, response, writeDescribeConfigsResponse, readDescribeConfigsResponse, at(version));
    const decoder = require(`kafkajs/src/protocol/requests/describeConfigs/v${version}/response`) as {
      decode(b: Buffer): Promise<{
        resources: {
          errorCode: number;
          errorMessage: string | null;
          resourceName: string;
          configEntries: {
            configName: string;
            configValue: string | null;
            readOnly: boolean;
            isDefault: boolean;
            configSource: number;
            isSensitive: boolean;
            configSynonyms?: { configName: string; configValue: string | null; configSource: number }[];
          }[];
        }[];
      }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.resources.map((r) => [r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      ['orders', 0, null],
      ['gone', 3, 'Topic gone does not exist'],
    ]);
    const entries = theirs.resources[0]?.configEntries ?? [];
    expect(entries.map((e) => [e.configName, e.configValue, e.readOnly, e.isDefault, e.isSensitive])).toEqual([
      ['cleanup.policy', 'compact', false, false, false],
      ['retention.ms', '604800000', false, true, false],
      ['sasl.jaas.config', null, true, false, true],
    ]);
    // kafkajs derives a v0 source from is_default and the resource type (topic config when not default)
    expect(entries.map((e) => e.configSource)).toEqual(version >= 1 ? [1, 5, 4] : [1, 5, 1]);
    if (version >= 1) {
      expect(entries[0]?.configSynonyms).toEqual([
        { configName: 'cleanup.policy', configValue: 'compact', configSource: 1 },
        { configName: 'log.cleanup.policy', configValue: 'delete', configSource: 5 },
      ]);
    }
  });

  it('hostile requests are INVALID_REQUEST: counts beyond the bytes or the limits, truncations', () => {
    const read = (r: Parameters<typeof readDescribeConfigsRequest>[0]) => readDescribeConfigsRequest(r, 1);
    expectInvalid(
      read,
      bytesOf((w) => w.int32(9000).boolean(true)),
      /ARRAY of 9000 elements in 1 bytes/,
    );
    expectInvalid(
      read,
      bytesOf((w) => w.int32(1).int8(2).string('t').int32(5000).boolean(true)),
      /ARRAY of 5000 elements in 1 bytes/,
    );
    const body = fixtureRequestBody('kafkajs-describe-configs-v1');
    expectInvalid((r) => readDescribeConfigsRequest(r, 1, { maxResources: 1, maxConfigs: 10 }), body, /ARRAY of 2 elements \(at most 1\)/);
    expectInvalid((r) => readDescribeConfigsRequest(r, 1, { maxResources: 10, maxConfigs: 1 }), body, /ARRAY of 2 elements \(at most 1\)/);
    for (const version of [0, 1, 2]) {
      expectTruncationsInvalid((r) => readDescribeConfigsRequest(r, version), fixtureRequestBody(`kafkajs-describe-configs-v${version}`));
    }
  });
});
