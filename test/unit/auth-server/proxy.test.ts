import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { FakeUpstream, send, startAuthServer, type Harness } from './harness.ts';

const upstream = new FakeUpstream();
let harness: Harness;

beforeAll(async () => {
  harness = await startAuthServer(await upstream.start());
});

afterAll(async () => {
  await harness?.server.close();
  await upstream.stop();
});

const challenge = 'Bearer realm="http://dockyard-auth-server.invalid/auth/token",service="main.team-a.dockyard.dev",scope="repository:apps/web:pull"';

describe('proxy to distribution', () => {
  it('rewrites the realm of every challenge to the host the client used', async () => {
    upstream.handler = (_request, response) => {
      response.writeHead(
        401,
        [
          ['WWW-Authenticate', challenge],
          ['WWW-Authenticate', 'Basic realm="other"'],
          ['Content-Type', 'application/json'],
        ].flat(),
      );
      response.end('{"errors":[]}');
    };
    for (const host of [`127.0.0.1:${harness.port}`, `localhost:${harness.port}`, 'main-registry.team-a.svc:5000', 'registry.example.com', '[::1]:5000']) {
      const reply = await send(harness.port, { path: '/v2/', headers: { host } });
      expect(reply.status).toBe(401);
      const challenges = reply.rawHeaders.filter((_value, index) => reply.rawHeaders[index - 1]?.toLowerCase() === 'www-authenticate');
      expect(challenges).toEqual([challenge.replace('http://dockyard-auth-server.invalid', `http://${host}`), 'Basic realm="other"']);
    }
  });

  it('takes the scheme from X-Forwarded-Proto, as a TLS-terminating ingress sends it', async () => {
    upstream.handler = (_request, response) => response.writeHead(401, { 'www-authenticate': challenge }).end();
    const reply = await send(harness.port, { path: '/v2/', headers: { host: 'registry.example.com', 'x-forwarded-proto': 'https' } });
    expect(reply.headers['www-authenticate']).toContain('realm="https://registry.example.com/auth/token"');
  });

  it('leaves the realm alone when the Host header is not a plain host', async () => {
    upstream.handler = (_request, response) => response.writeHead(401, { 'www-authenticate': challenge }).end();
    const reply = await send(harness.port, { path: '/v2/', headers: { host: 'evil"host' } });
    expect(reply.headers['www-authenticate']).toBe(challenge);
  });

  it('passes Host through, adds forwarding headers and drops hop-by-hop ones', async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    let seenUrl = '';
    upstream.handler = (incoming, response) => {
      seen = incoming.headers;
      seenUrl = incoming.url ?? '';
      response
        .writeHead(200, {
          connection: 'x-upstream-private',
          'x-upstream-private': '1',
          'keep-alive': 'timeout=99',
          'docker-distribution-api-version': 'registry/2.0',
        })
        .end('{}');
    };
    const reply = await send(harness.port, {
      path: '/v2/apps/web/tags/list?n=10&last=b',
      headers: {
        host: 'localhost:5000',
        connection: 'keep-alive, x-private',
        'x-private': '1',
        te: 'trailers',
        authorization: 'Bearer t',
        'x-forwarded-for': '10.0.0.9',
      },
    });
    expect(seenUrl).toBe('/v2/apps/web/tags/list?n=10&last=b');
    expect(seen['host']).toBe('localhost:5000');
    expect(seen['authorization']).toBe('Bearer t');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1'); // the real peer, never what the client claims
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-private']).toBeUndefined();
    expect(seen['te']).toBeUndefined();
    expect(reply.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(reply.headers['x-upstream-private']).toBeUndefined();
    expect(reply.headers['keep-alive']).not.toBe('timeout=99'); // Node's own keep-alive, not distribution's
  });

  it('streams a large upload and download through without changing a byte', async () => {
    const payload = randomBytes(8 * 1024 * 1024);
    const digest = createHash('sha256').update(payload).digest('hex');
    upstream.handler = (incoming, response) => {
      if (incoming.method === 'PATCH') {
        const hash = createHash('sha256');
        incoming.on('data', (chunk: Buffer) => hash.update(chunk));
        incoming.on('end', () => response.writeHead(202, { 'docker-content-digest': hash.digest('hex') }).end());
        return;
      }
      response.writeHead(200, { 'content-length': String(payload.length) }).end(payload);
    };
    const upload = await send(harness.port, { method: 'PATCH', path: '/v2/apps/web/blobs/uploads/1', body: payload });
    expect(upload.status).toBe(202);
    expect(upload.headers['docker-content-digest']).toBe(digest);
    const download = await send(harness.port, { path: '/v2/apps/web/blobs/sha256:x' });
    expect(createHash('sha256').update(download.body).digest('hex')).toBe(digest);
  });

  it('hands the first bytes on before distribution has sent the rest (no buffering)', async () => {
    let finish: () => void = () => undefined;
    upstream.handler = (_incoming, response) => {
      response.writeHead(200, { 'content-length': '10' });
      response.write('first');
      finish = () => response.end('-rest');
    };
    const outgoing = request({ host: '127.0.0.1', port: harness.port, path: '/v2/slow' });
    outgoing.end();
    const [response] = (await once(outgoing, 'response')) as [import('node:http').IncomingMessage];
    const [firstChunk] = (await once(response, 'data')) as [Buffer];
    expect(firstChunk.toString()).toBe('first');
    finish();
    response.resume();
    await once(response, 'end');
  });

  it('stops the request to distribution when the client goes away mid-transfer', async () => {
    let upstreamClosed = false;
    upstream.handler = (incoming, response) => {
      response.writeHead(200, { 'content-length': String(1024 * 1024) });
      response.write(Buffer.alloc(1024));
      incoming.socket.on('close', () => {
        upstreamClosed = true;
      });
    };
    const outgoing = request({ host: '127.0.0.1', port: harness.port, path: '/v2/apps/web/blobs/sha256:big' });
    outgoing.end();
    const [response] = (await once(outgoing, 'response')) as [import('node:http').IncomingMessage];
    await once(response, 'data');
    outgoing.destroy();
    await eventually(() => upstreamClosed, { what: 'the upstream request to be closed', timeoutMs: 5_000, intervalMs: 20 });
  });

  it('cuts the client’s download when distribution’s answer is cut, so a pull fails instead of hanging', async () => {
    upstream.handler = (incoming, response) => {
      response.writeHead(200, { 'content-length': String(1024 * 1024) });
      response.write(Buffer.alloc(1024), () => incoming.socket.destroy());
    };
    const outgoing = request({ host: '127.0.0.1', port: harness.port, path: '/v2/apps/web/blobs/sha256:cut' });
    outgoing.end();
    const [response] = (await once(outgoing, 'response')) as [import('node:http').IncomingMessage];
    expect(response.statusCode).toBe(200);
    let received = 0;
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    const [error] = (await once(response, 'error')) as [Error];
    expect(error.message).toMatch(/aborted/);
    expect(received).toBeLessThan(1024 * 1024);
  });

  it('answers 502 in registry error form when distribution is down', async () => {
    const closed = await startAuthServer(new URL('http://127.0.0.1:1'));
    try {
      const reply = await send(closed.port, { path: '/v2/' });
      expect(reply.status).toBe(502);
      expect(JSON.parse(reply.body.toString())).toEqual({ errors: [{ code: 'UNAVAILABLE', message: 'registry unavailable', detail: null }] });
    } finally {
      await closed.server.close();
    }
  });
});

describe('/healthz', () => {
  it.each([
    [200, 200],
    [401, 200],
    [503, 503],
  ])('answers %s from distribution with %s', async (upstreamStatus, expected) => {
    upstream.handler = (incoming, response) => response.writeHead(incoming.url === '/v2/' ? upstreamStatus : 404).end();
    expect((await send(harness.port, { path: '/healthz' })).status).toBe(expected);
  });

  it('answers 503 when distribution is down, while /livez still answers 200: a restart of the auth server would not help', async () => {
    const closed = await startAuthServer(new URL('http://127.0.0.1:1'));
    try {
      expect((await send(closed.port, { path: '/healthz' })).status).toBe(503);
      expect((await send(closed.port, { path: '/livez' })).status).toBe(200);
    } finally {
      await closed.server.close();
    }
  });
});
