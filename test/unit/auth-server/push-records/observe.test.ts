import { describe, expect, it } from 'vitest';
import { recordEventOf, type ProxiedExchange } from '../../../../src/auth-server/push-records/observe.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const exchange = (method: string, url: string, status: number, extra: Partial<ProxiedExchange> = {}): ProxiedExchange => ({
  method,
  url,
  status,
  requestHeaders: {},
  headers: { 'docker-content-digest': digest },
  authorization: 'Bearer someone',
  ...extra,
});
const nobodyIsMaintainer = () => false;

describe('what a proxied request means for the records', () => {
  it('a manifest PUT answered 201 is a push, by tag or by digest', () => {
    expect(recordEventOf(exchange('PUT', '/v2/apps/web/manifests/v1', 201), 5, nobodyIsMaintainer)).toEqual({
      kind: 'push',
      repository: 'apps/web',
      tag: 'v1',
      digest,
      at: 5,
    });
    expect(recordEventOf(exchange('PUT', `/v2/apps/web/manifests/${digest}`, 201, { headers: {} }), 5, nobodyIsMaintainer)).toEqual({
      kind: 'push',
      repository: 'apps/web',
      tag: undefined,
      digest,
      at: 5,
    });
  });

  it('a manifest GET or HEAD answered 200 is a pull, unless the maintainer (Dockyard itself) asked', () => {
    expect(recordEventOf(exchange('HEAD', '/v2/a/b/c/manifests/latest?x=1', 200), 7, nobodyIsMaintainer)).toMatchObject({
      kind: 'pull',
      repository: 'a/b/c',
      tag: 'latest',
    });
    expect(recordEventOf(exchange('GET', `/v2/apps/web/manifests/${digest}`, 200), 7, nobodyIsMaintainer)).toMatchObject({
      kind: 'pull',
      digest,
      tag: undefined,
    });
    expect(recordEventOf(exchange('GET', '/v2/apps/web/manifests/v1', 200), 7, (authorization) => authorization === 'Bearer someone')).toBeUndefined();
    // Nor when the reader says it takes an inventory (retention plan with a person's credentials).
    expect(
      recordEventOf(exchange('GET', '/v2/apps/web/manifests/v1', 200, { requestHeaders: { 'dockyard-inventory-read': 'true' } }), 7, nobodyIsMaintainer),
    ).toBeUndefined();
  });

  it('a DELETE answered 202 removes the tag or the digest', () => {
    expect(recordEventOf(exchange('DELETE', '/v2/apps/web/manifests/v1', 202), 9, nobodyIsMaintainer)).toEqual({
      kind: 'delete',
      repository: 'apps/web',
      tag: 'v1',
      at: 9,
    });
    expect(recordEventOf(exchange('DELETE', `/v2/apps/web/manifests/${digest}`, 202), 9, nobodyIsMaintainer)).toEqual({
      kind: 'delete',
      repository: 'apps/web',
      digest,
      at: 9,
    });
  });

  it.each([
    ['PUT', '/v2/apps/web/manifests/v1', 401],
    ['GET', '/v2/apps/web/manifests/v1', 404],
    ['GET', `/v2/apps/web/blobs/${digest}`, 200],
    ['PUT', '/v2/Apps/manifests/v1', 201],
    ['GET', '/v2/_catalog', 200],
    ['PATCH', '/v2/apps/web/manifests/v1', 201],
  ])('%s %s answered %i changes nothing', (method, url, status) => {
    expect(recordEventOf(exchange(method, url, status), 1, nobodyIsMaintainer)).toBeUndefined();
  });

  it('a pull by tag whose answer names no digest is not recorded', () => {
    expect(recordEventOf(exchange('GET', '/v2/apps/web/manifests/v1', 200, { headers: {} }), 1, nobodyIsMaintainer)).toBeUndefined();
  });
});
