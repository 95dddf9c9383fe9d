import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRegistryToken } from '../../support/registry-token.ts';
import { basic, FakeUpstream, send, service, startAuthServer, type Harness } from './harness.ts';

const upstream = new FakeUpstream();
let harness: Harness;
let anonymousHarness: Harness;

beforeAll(async () => {
  const url = await upstream.start();
  harness = await startAuthServer(url);
  anonymousHarness = await startAuthServer(url, { anonymousPull: true });
});

afterAll(async () => {
  await harness?.server.close();
  await anonymousHarness?.server.close();
  await upstream.stop();
});

const tokenPath = (...scopes: string[]) => `/auth/token?service=${service}${scopes.map((scope) => `&scope=${encodeURIComponent(scope)}`).join('')}`;
const requestToken = (target: Harness, authorization: string | undefined, ...scopes: string[]) =>
  send(target.port, { path: tokenPath(...scopes), headers: authorization ? { authorization } : {} });
const credential = (role: 'pull' | 'push' | 'maintainer') => harness.plan.credentials[role].published;
const grantedBy = (body: Buffer) => decodeRegistryToken((JSON.parse(body.toString()) as { token: string }).token).claims.access;

describe('GET /auth/token', () => {
  it('issues a token for the actions the identity may perform, in the reply Docker clients read', async () => {
    const { username, password } = credential('pull');
    const reply = await requestToken(harness, basic(username, password), 'repository:apps/web:pull,push');
    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(reply.body.toString()) as Record<string, unknown>;
    expect(body).toEqual({ token: expect.any(String), access_token: body['token'], expires_in: 300, issued_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const decoded = decodeRegistryToken(body['token'] as string);
    expect(decoded.signatureValid).toBe(true);
    expect(decoded.claims).toMatchObject({ sub: username, aud: service, iss: 'dockyard-auth-server' });
    expect(decoded.claims.access).toEqual([{ type: 'repository', name: 'apps/web', actions: ['pull'] }]);
  });

  it('grants push to the push identity and delete to the maintainer, repeated scope parameters each answered', async () => {
    const push = credential('push');
    const pushReply = await requestToken(harness, basic(push.username, push.password), 'repository:apps/web:pull,push,delete', 'repository:apps/api:pull');
    expect(grantedBy(pushReply.body)).toEqual([
      { type: 'repository', name: 'apps/web', actions: ['pull', 'push'] },
      { type: 'repository', name: 'apps/api', actions: ['pull'] },
    ]);
    const maintainer = credential('maintainer');
    const maintainerReply = await requestToken(harness, basic(maintainer.username, maintainer.password), 'repository:apps/web:delete');
    expect(grantedBy(maintainerReply.body)).toEqual([{ type: 'repository', name: 'apps/web', actions: ['delete'] }]);
  });

  it('leaves refused scopes out of the token instead of failing (a login asks for no scope at all)', async () => {
    const { username, password } = credential('pull');
    expect(grantedBy((await requestToken(harness, basic(username, password), 'repository:apps/web:push')).body)).toEqual([]);
    expect(grantedBy((await requestToken(harness, basic(username, password))).body)).toEqual([]);
  });

  it.each([
    ['a wrong password', () => basic(credential('pull').username, 'wrong')],
    ['an unknown username', () => basic('nobody', credential('pull').password)],
    ['an unreadable Authorization header', () => 'Basic !!!'],
    ['a bearer token instead of credentials', () => 'Bearer abc'],
  ])('refuses %s with 401', async (_name, authorization) => {
    const reply = await requestToken(harness, authorization(), 'repository:apps/web:pull');
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Basic realm="dockyard registry"');
  });

  it('refuses anonymous requests unless anonymous pull is on, and then grants pull only', async () => {
    expect((await requestToken(harness, undefined, 'repository:apps/web:pull')).status).toBe(401);
    const reply = await requestToken(anonymousHarness, undefined, 'repository:apps/web:pull,push');
    expect(reply.status).toBe(200);
    expect(grantedBy(reply.body)).toEqual([{ type: 'repository', name: 'apps/web', actions: ['pull'] }]);
    expect(decodeRegistryToken(JSON.parse(reply.body.toString()).token).claims.sub).toBe('');
  });

  it('takes `Basic Og==` (empty username and password) as anonymous, as clients without credentials send it', async () => {
    const empty = `Basic ${Buffer.from(':').toString('base64')}`;
    expect(empty).toBe('Basic Og==');
    const reply = await requestToken(anonymousHarness, empty, 'repository:apps/web:pull,push');
    expect(reply.status).toBe(200);
    expect(grantedBy(reply.body)).toEqual([{ type: 'repository', name: 'apps/web', actions: ['pull'] }]);
    expect((await requestToken(harness, empty, 'repository:apps/web:pull')).status).toBe(401);
    expect(harness.logs()).toContain('refused an anonymous token request: anonymous pull is off');
    // Only both empty: a password without a username is still unreadable.
    expect((await requestToken(anonymousHarness, basic('', 'secret'), 'repository:apps/web:pull')).status).toBe(401);
  });

  it('refuses tokens for another service', async () => {
    const { username, password } = credential('pull');
    const reply = await send(harness.port, {
      path: '/auth/token?service=other&scope=repository:a:pull',
      headers: { authorization: basic(username, password) },
    });
    expect(reply.status).toBe(400);
  });

  it('allows only GET and POST', async () => {
    expect((await send(harness.port, { method: 'PUT', path: '/auth/token' })).status).toBe(405);
  });
});

describe('POST /auth/token (OAuth2 password grant, as containerd sends it)', () => {
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    path: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  it('issues a token and says which scopes it carries', async () => {
    const { username, password } = credential('push');
    const reply = await send(
      harness.port,
      form({
        grant_type: 'password',
        username,
        password,
        service,
        client_id: 'containerd-client',
        scope: 'repository:apps/web:pull,push repository:apps/api:pull',
      }),
    );
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.body.toString()) as { access_token: string; scope: string };
    expect(body.scope).toBe('repository:apps/web:pull,push repository:apps/api:pull');
    expect(decodeRegistryToken(body.access_token).claims.sub).toBe(username);
  });

  it('answers 400 to other grants and bodies, which makes containerd fall back to GET', async () => {
    expect((await send(harness.port, form({ grant_type: 'refresh_token', refresh_token: 'x', service }))).status).toBe(400);
    expect((await send(harness.port, { method: 'POST', path: '/auth/token', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(400);
    expect((await send(harness.port, { ...form({ grant_type: 'password' }), body: 'x'.repeat(20_000) })).status).toBe(400);
  });

  it('refuses wrong credentials with 401', async () => {
    const reply = await send(harness.port, form({ grant_type: 'password', username: credential('push').username, password: 'wrong', service }));
    expect(reply.status).toBe(401);
  });
});

describe('request bodies the token service does not want', () => {
  it('answers a GET that carries a huge body without reading it, and closes the connection', async () => {
    const { username, password } = credential('pull');
    const outcome = await streamUntilClosed(harness.port, {
      method: 'GET',
      path: tokenPath('repository:apps/web:pull'),
      headers: { authorization: basic(username, password), 'content-length': String(2 * 1024 ** 3) },
    });
    expect(outcome.status).toBe(200);
    expect(outcome.connection).toBe('close');
    // What kernel buffers take before the door closes, far below what the client offered.
    expect(outcome.bytesWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a form declared larger than 16 KiB before reading it', async () => {
    const outcome = await streamUntilClosed(harness.port, {
      method: 'POST',
      path: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(1024 ** 3) },
    });
    expect(outcome.status).toBe(400);
    expect(outcome.connection).toBe('close');
    expect(outcome.bytesWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it('tells a client that sends Expect: 100-continue to go on, then reads its form', async () => {
    const { username, password } = credential('push');
    const body = new URLSearchParams({ grant_type: 'password', username, password, service, scope: 'repository:apps/web:push' }).toString();
    const reply = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const outgoing = request({
        host: '127.0.0.1',
        port: harness.port,
        method: 'POST',
        path: '/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length), expect: '100-continue' },
      });
      outgoing.on('continue', () => {
        continued = true;
        outgoing.end(body);
      });
      outgoing.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, continued }));
      });
      outgoing.on('error', reject);
      outgoing.flushHeaders();
    });
    expect(reply).toEqual({ status: 200, continued: true });
  });
});

/**
 * Sends the headers, then writes a body of zeros until the server closes the connection or
 * 256 MiB are written; says what the server answered and how much it let through.
 */
function streamUntilClosed(
  port: number,
  options: { method: string; path: string; headers: Record<string, string> },
): Promise<{ status: number; connection: string | undefined; bytesWritten: number }> {
  const chunk = Buffer.alloc(1024 * 1024);
  return new Promise((resolve, reject) => {
    let written = 0;
    let answer: { status: number; connection: string | undefined } | undefined;
    const outgoing = request({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers });
    const finish = () => (answer ? resolve({ ...answer, bytesWritten: written }) : reject(new Error('the connection closed without an answer')));
    outgoing.on('response', (response) => {
      answer = { status: response.statusCode ?? 0, connection: response.headers.connection };
      response.resume();
    });
    outgoing.on('error', finish);
    outgoing.on('close', finish);
    const pump = () => {
      while (!outgoing.destroyed && written < 256 * 1024 * 1024) {
        written += chunk.length;
        if (!outgoing.write(chunk)) return void outgoing.once('drain', pump);
      }
      if (!outgoing.destroyed) reject(new Error(`the server read ${written} bytes of a body it does not want`));
      outgoing.destroy();
    };
    pump();
  });
}

describe('token service logs', () => {
  it('name usernames, client and scopes, but never a password, hash or token', async () => {
    const { username, password } = credential('maintainer');
    const reply = await requestToken(harness, basic(username, password), 'repository:apps/web:pull');
    await requestToken(harness, basic(username, 'wrong-password-value'), 'repository:apps/web:pull');
    const pullUser = credential('pull');
    await requestToken(harness, basic(pullUser.username, pullUser.password), 'repository:apps/api:pull,push');
    const logs = harness.logs();
    expect(logs).toContain(username);
    expect(logs).toContain('"granted":["repository:apps/web:pull"]');
    expect(logs).toContain('"granted":["repository:apps/api:pull"],"refused":["repository:apps/api:push"]');
    expect(logs).toContain('127.0.0.1');
    const token = JSON.parse(reply.body.toString()).token as string;
    for (const secret of [
      password,
      'wrong-password-value',
      token,
      token.split('.')[2]!,
      ...harness.plan.identities.identities.map((record) => record.passwordHash),
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});
