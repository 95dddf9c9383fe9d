import { describe, expect, it } from 'vitest';
import { parseListenAddress, startHealthServer } from '../../../src/runtime/health-server.ts';

describe('parseListenAddress', () => {
  it.each([
    [':8081', { host: '0.0.0.0', port: 8081 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
  ])('reads %s', (address, expected) => {
    expect(parseListenAddress(address)).toEqual(expected);
  });

  it.each(['8081x', 'localhost:', 'host:70000', 'host:-1'])('rejects %s and names it', (address) => {
    expect(() => parseListenAddress(address)).toThrow(address);
  });
});

describe('startHealthServer', () => {
  it('answers 200 when a check passes, 503 when it fails, 404 elsewhere', async () => {
    let ready = false;
    const server = await startHealthServer('127.0.0.1:0', { healthy: () => true, ready: () => ready });
    try {
      const { port } = server.address() as { port: number };
      const get = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
      expect(await get('/healthz')).toBe(200);
      expect(await get('/readyz')).toBe(503);
      ready = true;
      expect(await get('/readyz')).toBe(200);
      expect(await get('/metrics-nope')).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('startHealthServer /metrics', () => {
  it('serves the exposition it is given, and 404 without one', async () => {
    const withMetrics = await startHealthServer('127.0.0.1:0', {
      healthy: () => true,
      ready: () => true,
      metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'dockyard_leader 1\n' }),
    });
    const without = await startHealthServer('127.0.0.1:0', { healthy: () => true, ready: () => true });
    try {
      const url = (server: typeof withMetrics) => `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
      const response = await fetch(url(withMetrics));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('version=0.0.4');
      expect(await response.text()).toBe('dockyard_leader 1\n');
      expect((await fetch(url(without))).status).toBe(404);
    } finally {
      await Promise.all([withMetrics, without].map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});
