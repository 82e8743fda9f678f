import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { API_KEY, codecVersionTable } from '../../../../src/protocol/kafka/api-keys.js';
import {
  apiVersionsResponseFrame,
  apiVersionsUnsupportedFrame,
  readApiVersionsRequest,
  readApiVersionsResponse,
  writeApiVersionsRequest,
} from '../../../../src/protocol/kafka/api-versions.js';
import { frame, readRequestHeader, readResponseHeader, writeRequestHeader } from '../../../../src/protocol/kafka/header.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { fixtureBytes, fixtureJson, frameBody } from './fixture.js';

const require = createRequire(import.meta.url);
type KafkajsApiVersions = { errorCode: number; apiVersions: { apiKey: number; minVersion: number; maxVersion: number }[] };
const kafkajsDecoders = [0, 1, 2].map(
  (v) => require(`kafkajs/src/protocol/requests/apiVersions/v${v}/response`) as { decode(buf: Buffer): Promise<KafkajsApiVersions> },
);

interface RequestFixture {
  body: { clientSoftwareName: string | null; clientSoftwareVersion: string | null };
}

describe('ApiVersions', () => {
  it.each(['kcat-1-ApiVersions-v3', 'kafkajs-1-ApiVersions-v2'])('reads the request %s sent, and writes the same bytes', (name) => {
    const bytes = frameBody(fixtureBytes(name));
    const r = new KafkaReader(bytes);
    const header = readRequestHeader(r);
    const body = readApiVersionsRequest(r, header.apiVersion);
    r.expectEnd('ApiVersions');
    expect(body).toEqual(fixtureJson<RequestFixture>(name).body);
    const ours = frame((w) => {
      writeRequestHeader(w, header);
      writeApiVersionsRequest(w, header.apiVersion, body);
    });
    expect(frameBody(ours)).toEqual(bytes);
  });

  it("kafkajs's decoders read our v0–v2 responses as the advertised table", async () => {
    const table = codecVersionTable();
    for (const version of [0, 1, 2]) {
      const bytes = apiVersionsResponseFrame(5, version, table);
      expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
      const r = new KafkaReader(bytes.subarray(4));
      expect(readResponseHeader(r, 0).correlationId).toBe(5);
      const decoded = await (kafkajsDecoders[version] as { decode(buf: Buffer): Promise<KafkajsApiVersions> }).decode(bytes.subarray(8));
      expect(decoded.errorCode).toBe(0);
      expect(decoded.apiVersions).toEqual(table);
    }
  });

  it('the v3 response is flexible with a v0 header, and reads back', () => {
    const table = codecVersionTable();
    const bytes = apiVersionsResponseFrame(1, 3, table);
    const r = new KafkaReader(bytes.subarray(4));
    expect(readResponseHeader(r, 0).correlationId).toBe(1);
    // error code, then the compact array's count + 1 as an unsigned varint
    expect(bytes.subarray(8, 11)).toEqual(Buffer.from([0, 0, table.length + 1]));
    expect(readApiVersionsResponse(r, 3)).toEqual({ errorCode: 0, apiKeys: table, throttleTimeMs: 0 });
    r.expectEnd('ApiVersions v3');
    // 4 size + 4 correlation + 2 error + 1 count + 7 per entry + 4 throttle + 1 tags
    expect(bytes.length).toBe(16 + 7 * table.length);
  });

  it('a client asking for a newer version gets UNSUPPORTED_VERSION in v0 naming the versions to retry with', () => {
    const bytes = apiVersionsUnsupportedFrame(11);
    expect(bytes.toString('hex')).toBe('00000010' + '0000000b' + '0023' + '00000001' + '0012' + '0000' + '0003');
    const r = new KafkaReader(bytes.subarray(4));
    readResponseHeader(r, 0);
    expect(readApiVersionsResponse(r, 0)).toEqual({
      errorCode: 35,
      apiKeys: [{ apiKey: API_KEY.ApiVersions, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 0,
    });
  });
});
