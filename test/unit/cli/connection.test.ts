import { describe, expect, it } from 'vitest';
import { brokerUrl } from '../../../src/cli/connection.js';
import { EvqUsageError } from '../../../src/errors.js';

describe('brokerUrl', () => {
  it('accepts http, https and ws URLs and drops a trailing slash', () => {
    expect(brokerUrl('http://127.0.0.1:7070/')).toBe('http://127.0.0.1:7070');
    expect(brokerUrl('ws://localhost:1')).toBe('ws://localhost:1');
  });
  it('refuses what is not one, as a usage error', () => {
    expect(() => brokerUrl('localhost')).toThrow(/invalid --url "localhost"/);
    expect(() => brokerUrl('ftp://x:21')).toThrow(/invalid --url "ftp:\/\/x:21"/);
    expect(() => brokerUrl('nonsense')).toThrow(EvqUsageError);
  });
});
