import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeExternalRegistry } from '../../../src/oci/probe.ts';

// A registry that wants a token, as distribution with token auth does, on loopback.
describe('probeExternalRegistry', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/token')) {
        const good = req.headers.authorization === `Basic ${Buffer.from('ci:secret').toString('base64')}`;
        res.writeHead(good ? 200 : 401, { 'content-type': 'application/json' }).end(good ? '{"token":"t0k"}' : '{}');
        return;
      }
      if (req.headers.authorization === 'Bearer t0k') {
        res.writeHead(200).end('{}');
        return;
      }
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="test"` }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('follows the token challenge with the credentials and reports the registry reachable', async () => {
    expect(await probeExternalRegistry(base, { username: 'ci', password: 'secret' }, undefined)).toMatchObject({ reachable: true, reason: 'Reachable' });
  });

  it('reports refused credentials with the HTTP status and without the password', async () => {
    const result = await probeExternalRegistry(base, { username: 'ci', password: 'wrong-password' }, undefined);
    expect(result).toMatchObject({ reachable: false, reason: 'Unauthorized' });
    expect(result.message).toContain('401');
    expect(result.message).not.toContain('wrong-password');
  });

  it('reports a registry nobody listens on as unreachable', async () => {
    expect(await probeExternalRegistry('http://127.0.0.1:1', undefined, undefined, 1_000)).toMatchObject({ reachable: false, reason: 'Unreachable' });
  });
});

// A registry behind HTTP Basic (htpasswd), as many self-hosted ones are.
describe('probeExternalRegistry on a Basic registry', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.headers.authorization === `Basic ${Buffer.from('ci:secret').toString('base64')}`) {
        res.writeHead(200).end('{}');
        return;
      }
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Registry Realm"' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers the Basic challenge with the credentials', async () => {
    expect(await probeExternalRegistry(base, { username: 'ci', password: 'secret' }, undefined)).toEqual({
      reachable: true,
      reason: 'Reachable',
      message: `${base.slice(0, -1)}/v2/ answered HTTP 200`,
    });
  });

  it('says which setting is missing when it has no credentials', async () => {
    expect(await probeExternalRegistry(base, undefined, undefined)).toEqual({
      reachable: false,
      reason: 'Unauthorized',
      message: `${base.slice(0, -1)}/v2/ answered HTTP 401: it needs credentials (spec.external.credentialsSecretRef)`,
    });
  });

  it('says the credentials were refused, without them', async () => {
    const result = await probeExternalRegistry(base, { username: 'ci', password: 'not-the-secret' }, undefined);
    expect(result).toEqual({ reachable: false, reason: 'Unauthorized', message: `${base.slice(0, -1)}/v2/ answered HTTP 401: the credentials were refused` });
  });
});
