import { describe, expect, it } from 'vitest';
import { evqEndpoint } from '../../../../src/client/evq/endpoint.js';

describe('evqEndpoint', () => {
  it('derives the HTTP origin, the path prefix and the WebSocket URL', () => {
    expect(evqEndpoint(new URL('http://127.0.0.1:7070'))).toEqual({
      display: 'http://127.0.0.1:7070',
      origin: 'http://127.0.0.1:7070',
      prefix: '',
      ws: 'ws://127.0.0.1:7070/ws',
    });
    expect(evqEndpoint(new URL('https://broker.example/evq/'))).toEqual({
      display: 'https://broker.example/evq',
      origin: 'https://broker.example',
      prefix: '/evq',
      ws: 'wss://broker.example/evq/ws',
    });
    expect(evqEndpoint(new URL('ws://localhost:7070/ws')).display).toBe('http://localhost:7070');
    expect(evqEndpoint(new URL('wss://[::1]:9000')).ws).toBe('wss://[::1]:9000/ws');
  });

  it('refuses credentials, queries and fragments in the URL', () => {
    expect(() => evqEndpoint(new URL('http://u:p@h:1'))).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
    expect(() => evqEndpoint(new URL('http://h:1/?token=x'))).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
  });
});
