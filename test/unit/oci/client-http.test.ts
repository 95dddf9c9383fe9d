import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, type RegistryClientOptions } from '../../../src/oci/client.ts';
import { DeletesDisabledError, ReadOnlyError, TokenRequestError, UnauthorizedError, UnexpectedStatusError, UnreachableError } from '../../../src/oci/errors.ts';

/**
 * The client's HTTP behaviour against a real HTTP server on loopback that answers the way
 * registries do in situations real distribution processes cannot be made to produce on demand
 * (overload, resets, odd page sizes). What distribution itself answers is covered by
 * test/integration/oci-client.test.ts.
 */
type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => void;

let server: Server;
let base: string;
let handler: Handler = (_request, response) => response.writeHead(500).end();
const seen: { method: string; path: string; authorization: string | undefined }[] = [];
let clients: RegistryClient[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    seen.push({ method: request.method ?? '', path: `${url.pathname}${url.search}`, authorization: request.headers.authorization });
    handler(request, response, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
afterEach(async () => {
  await Promise.all(clients.map((client) => client.close()));
  clients = [];
  seen.length = 0;
});

function client(options: Partial<RegistryClientOptions> = {}): RegistryClient {
  const created = new RegistryClient({ url: base, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options });
  clients.push(created);
  return created;
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const digest = `sha256:${'ab'.repeat(32)}`;

describe('retries', () => {
  it('waits out 503 and 429 as Retry-After asks, then succeeds, counting every try', async () => {
    let calls = 0;
    handler = (_request, response) => {
      calls++;
      if (calls === 1) return json(response, 503, { errors: [{ code: 'UNAVAILABLE' }] }, { 'retry-after': '1' });
      if (calls === 2) return json(response, 429, { errors: [{ code: 'TOOMANYREQUESTS' }] });
      json(response, 200, {});
    };
    const started = Date.now();
    const registry = client();
    await registry.ping();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(registry.requestCounts().ping).toBe(3);
  });

  it('retries a connection the server resets', async () => {
    let calls = 0;
    handler = (request, response) => {
      calls++;
      if (calls === 1) return request.socket.destroy();
      json(response, 200, { repositories: ['a'] });
    };
    const pages: string[][] = [];
    for await (const page of client().repositories()) pages.push(page);
    expect(pages).toEqual([['a']]);
    expect(calls).toBe(2);
  });

  it('gives up after the last attempt and says how often it tried', async () => {
    handler = (_request, response) => json(response, 502, {});
    const registry = client({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const error = await registry.ping().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnexpectedStatusError);
    expect((error as Error).message).toMatch(/GET \/v2\/ answered HTTP 502: the registry failed after 3 attempts/);
    expect(registry.requestCounts().ping).toBe(3);
  });

  it('reports a registry nobody listens on as unreachable, after retrying', async () => {
    const registry = new RegistryClient({ url: 'http://127.0.0.1:1', retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    clients.push(registry);
    const error = await registry.ping().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).detail).toContain('ECONNREFUSED');
    expect(registry.requestCounts().ping).toBe(2);
  });
});

describe('concurrency', () => {
  it('never has more requests in flight than maxConcurrency, however many are started', async () => {
    let inFlight = 0;
    let most = 0;
    handler = (_request, response) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        response.writeHead(200, { 'docker-content-digest': digest, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end();
      }, 20);
    };
    const registry = client({ maxConcurrency: 3 });
    const heads = await Promise.all(Array.from({ length: 24 }, (_, index) => registry.headManifest('apps/web', `v${index}`)));
    expect(heads.every((head) => head.digest === digest)).toBe(true);
    expect(most).toBe(3);
  });
});

describe('deletes refused', () => {
  it('says deletes are disabled when distribution answers 405 UNSUPPORTED', async () => {
    handler = (_request, response) => json(response, 405, { errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] });
    const error = await client()
      .deleteManifest('apps/web', digest)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeletesDisabledError);
    expect((error as Error).message).toContain('deletes are disabled on this registry');
  });

  it('says the registry is read-only when DELETE is not routed at all', async () => {
    handler = (_request, response) => response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
    const error = await client()
      .deleteTag('apps/web', 'v1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReadOnlyError);
    expect((error as Error).message).toContain('the registry is read-only for maintenance');
  });
});

describe('authentication', () => {
  const password = 's3cret-password';

  it('answers a Basic challenge with the credentials from then on, and never quotes them', async () => {
    const good = `Basic ${Buffer.from(`ci:${password}`).toString('base64')}`;
    handler = (request, response) => {
      if (request.headers.authorization === good) return json(response, 200, { name: 'apps/web', tags: ['v1'] });
      json(response, 401, { errors: [{ code: 'UNAUTHORIZED' }] }, { 'www-authenticate': 'Basic realm="registry"' });
    };
    const registry = client({ credentials: { username: 'ci', password } });
    expect(await registry.allTags('apps/web')).toEqual(['v1']);
    expect(await registry.allTags('apps/web')).toEqual(['v1']);
    expect(seen.map((request) => request.authorization === good)).toEqual([false, true, true]);

    const refused = client({ credentials: { username: 'ci', password: 'wrong-password' } });
    const error = await refused.allTags('apps/web').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toContain('the registry refused the credentials');
    expect((error as Error).message).not.toContain('wrong-password');
  });

  it('uses one token per repository for pulls and deletes, asks for both scopes once, and renews it when it expires', async () => {
    const tokenRequests: URL[] = [];
    handler = (request, response, url) => {
      if (url.pathname === '/token') {
        tokenRequests.push(url);
        return json(response, 200, { token: `token-${tokenRequests.length}`, expires_in: 1 });
      }
      const expected = `Bearer token-${tokenRequests.length}`;
      if (tokenRequests.length > 0 && request.headers.authorization === expected) {
        if (request.method === 'DELETE') return response.writeHead(202).end();
        return response.writeHead(200, { 'docker-content-digest': digest }).end();
      }
      json(response, 401, { errors: [{ code: 'UNAUTHORIZED' }] }, { 'www-authenticate': `Bearer realm="${base}/token",service="registry.test"` });
    };
    const registry = client({ credentials: { username: 'ci', password }, repositoryActions: ['pull', 'delete'] });
    await Promise.all([registry.headManifest('apps/web', 'v1'), registry.headManifest('apps/web', 'v2')]);
    expect(await registry.deleteManifest('apps/web', digest)).toBe('deleted');
    expect(tokenRequests.map((url) => url.searchParams.getAll('scope'))).toEqual([['repository:apps/web:pull,delete']]);
    expect(tokenRequests[0]?.searchParams.get('service')).toBe('registry.test');

    // A 1 s token is renewed before use once its lifetime, less the margin, is over.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await registry.headManifest('apps/web', 'v1');
    expect(tokenRequests).toHaveLength(2);
    expect(registry.requestCounts().token).toBe(2);
  });

  it('widens a repository token when a delete needs more than the pulls did', async () => {
    const scopes: string[][] = [];
    handler = (request, response, url) => {
      if (url.pathname === '/token') {
        scopes.push(url.searchParams.getAll('scope'));
        return json(response, 200, { token: scopes.at(-1)!.join(' ') });
      }
      const granted = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
      const needed = request.method === 'DELETE' ? 'delete' : 'pull';
      if (granted.split(':').at(-1)?.split(',').includes(needed))
        return response.writeHead(request.method === 'DELETE' ? 202 : 200, { 'docker-content-digest': digest }).end();
      json(
        response,
        401,
        {},
        { 'www-authenticate': `Bearer realm="${base}/token",service="s",scope="repository:apps/web:${needed}",error="insufficient_scope"` },
      );
    };
    const registry = client();
    await registry.headManifest('apps/web', 'v1');
    await registry.deleteTag('apps/web', 'v1');
    await registry.headManifest('apps/web', 'v2');
    expect(scopes).toEqual([['repository:apps/web:pull'], ['repository:apps/web:pull,delete']]);
  });

  it('names the token service and its status when it refuses, without the password', async () => {
    handler = (_request, response, url) => {
      if (url.pathname === '/token') return json(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
      json(response, 401, {}, { 'www-authenticate': `Bearer realm="${base}/token",service="s"` });
    };
    const error = await client({ credentials: { username: 'ci', password } })
      .headManifest('apps/web', 'v1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).status).toBe(401);
    expect((error as Error).message).toContain(`token service at ${base}: it refused the credentials`);
    expect((error as Error).message).not.toContain(password);
  });
});

describe('paging', () => {
  it('follows Link headers and falls back to the registry page size when n is refused', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    handler = (_request, response, url) => {
      const n = url.searchParams.get('n');
      if (n !== null && Number(n) > 2) return json(response, 400, { errors: [{ code: 'PAGINATION_NUMBER_INVALID' }] });
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : names.indexOf(last) + 1;
      const page = names.slice(start, start + 2);
      const more = start + 2 < names.length;
      json(response, 200, { repositories: page }, more ? { link: `</v2/_catalog?last=${page.at(-1)}&n=2>; rel="next"` } : {});
    };
    const pages: string[][] = [];
    for await (const page of client().repositories()) pages.push(page);
    expect(pages).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(seen.map((request) => request.path)).toEqual(['/v2/_catalog?n=1000', '/v2/_catalog', '/v2/_catalog?last=b&n=2', '/v2/_catalog?last=d&n=2']);
  });

  it('refuses a next page on another host rather than sending credentials there', async () => {
    handler = (_request, response) =>
      json(response, 200, { name: 'apps/web', tags: ['v1'] }, { link: '<http://elsewhere.invalid/v2/apps/web/tags/list?last=v1>; rel="next"' });
    await expect(client().allTags('apps/web')).rejects.toThrow(/the next page is on another host \(http:\/\/elsewhere\.invalid\)/);
  });
});

describe('referrers API', () => {
  it('reads the referrers API where the registry has one, filtering by artifact type when the registry did not', async () => {
    const signature = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${'01'.repeat(32)}`,
      size: 10,
      artifactType: 'application/vnd.dev.sig',
    };
    const sbom = { ...signature, digest: `sha256:${'02'.repeat(32)}`, artifactType: 'application/spdx+json' };
    handler = (_request, response, url) => {
      if (url.pathname === `/v2/apps/web/referrers/${digest}`) return json(response, 200, { schemaVersion: 2, manifests: [signature, sbom] });
      json(response, 404, {});
    };
    const registry = client();
    expect(await registry.referrers('apps/web', digest)).toEqual({ referrers: [signature, sbom], source: 'referrers-api' });
    expect(await registry.referrers('apps/web', digest, { artifactType: 'application/spdx+json' })).toEqual({ referrers: [sbom], source: 'referrers-api' });
    expect(seen.map((request) => request.path)).toEqual([
      `/v2/apps/web/referrers/${digest}`,
      `/v2/apps/web/referrers/${digest}?artifactType=application%2Fspdx%2Bjson`,
    ]);
  });
});

describe('bad input', () => {
  it('names the argument that is not a repository, tag or digest', async () => {
    const registry = client();
    await expect(registry.headManifest('Apps/Web', 'v1')).rejects.toThrow(/^repository: "Apps\/Web" is not a repository name/);
    await expect(registry.deleteTag('apps/web', digest)).rejects.toThrow(/^tag: /);
    await expect(registry.deleteManifest('apps/web', 'v1')).rejects.toThrow(/^digest: /);
    expect(() => new RegistryClient({ url: 'http://user:pw@registry.example' })).toThrow(/credentials as credentials/);
    expect(() => new RegistryClient({ url: 'registry.example:5000' })).toThrow(/^url: /);
    expect(() => new RegistryClient({ url: 'not a url' })).toThrow(/^url: "not a url" is not a URL/);
    expect(seen).toEqual([]);
  });
});
