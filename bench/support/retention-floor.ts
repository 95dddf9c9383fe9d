// The floor of bench/retention.ts: the fewest requests a safe "keep the N most recently pushed"
// deletion needs, with no Dockyard code. It is told the push order (the benchmark names tags in
// push order, so a tag's name ranks it at no request's cost: what push records give a real run),
// and sends: the catalog pages, each repository's tag pages, one HEAD per tag (its digest, so a
// tag that shares its image with a kept tag is not deleted with it), and one DELETE per deleted
// manifest: by tag on distribution 3.x (an untag, what Dockyard does there), by digest on 2.x
// (which refuses a DELETE by tag). Run as a process of its own so its time and memory are its own.
// With `created` it ranks as anything must on a registry without push records: by the image
// config's `created` time, so each tag's manifest is read (GET, for the config's digest) instead
// of HEADed, and each image's config is read once.
// Behind Dockyard's door (token authentication), DOCKYARD_BENCH_FLOOR_USERNAME and _PASSWORD in
// its environment are the maintainer's: the first request's 401 names the token service, and from
// then on each repository's requests carry one token for pull and delete (fetched again on a 401).
//   node bench/support/retention-floor.ts URL KEEP CONCURRENCY tag|digest [order|created]
import { Agent, request } from 'undici';

const [url, keepArgument, concurrencyArgument, deleteBy, rankBy = 'order'] = process.argv.slice(2);
if (url === undefined || (deleteBy !== 'tag' && deleteBy !== 'digest') || (rankBy !== 'order' && rankBy !== 'created')) {
  throw new Error('usage: retention-floor.ts URL KEEP CONCURRENCY tag|digest [order|created]');
}
const keep = Number(keepArgument);
const dispatcher = new Agent({ connections: Number(concurrencyArgument), keepAliveTimeout: 30_000 });
const accept = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const username = process.env['DOCKYARD_BENCH_FLOOR_USERNAME'];
const basic =
  username === undefined ? undefined : `Basic ${Buffer.from(`${username}:${process.env['DOCKYARD_BENCH_FLOOR_PASSWORD'] ?? ''}`).toString('base64')}`;
let tokenService: { realm: string; service: string } | undefined;
const tokens = new Map<string, Promise<string>>();
let tokenRequests = 0;

/** The token scope a request needs: the catalog's, or its repository's for pull and delete. */
function scopeOf(path: string): string {
  const repository = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(path)?.[1];
  return repository === undefined ? 'registry:catalog:*' : `repository:${repository}:pull,delete`;
}

function token(scope: string, fresh: boolean): Promise<string> {
  let pending = fresh ? undefined : tokens.get(scope);
  if (pending === undefined) {
    const address = new URL(tokenService!.realm);
    address.searchParams.set('service', tokenService!.service);
    address.searchParams.set('scope', scope);
    tokenRequests += 1;
    pending = request(address, { headers: { authorization: basic! }, dispatcher }).then(async (answer) => {
      const body = await answer.body.text();
      if (answer.statusCode !== 200) throw new Error(`token for ${scope}: HTTP ${answer.statusCode}`);
      return (JSON.parse(body) as { token: string }).token;
    });
    tokens.set(scope, pending);
  }
  return pending;
}

async function send(method: 'GET' | 'HEAD' | 'DELETE', path: string, headers: Record<string, string> = {}) {
  let response = await request(new URL(path, url), { method, headers: await authorized(path, headers, false), dispatcher });
  if (response.statusCode === 401 && basic !== undefined) {
    await response.body.dump();
    const challenge = String(response.headers['www-authenticate'] ?? '');
    const known = tokenService !== undefined;
    tokenService = { realm: /realm="([^"]+)"/.exec(challenge)?.[1] ?? '', service: /service="([^"]+)"/.exec(challenge)?.[1] ?? '' };
    response = await request(new URL(path, url), { method, headers: await authorized(path, headers, known), dispatcher });
  }
  let body = '';
  if (method === 'HEAD') await response.body.dump();
  else body = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${method} ${path}: HTTP ${response.statusCode} ${body.slice(0, 200)}`);
  return { headers: response.headers, body };
}

async function authorized(path: string, headers: Record<string, string>, fresh: boolean): Promise<Record<string, string>> {
  if (tokenService === undefined) return headers;
  return { ...headers, authorization: `Bearer ${await token(scopeOf(path), fresh)}` };
}

/** Every page of a list, following the Link header (distribution's `<...>; rel="next"`). */
async function allPages(first: string, field: 'repositories' | 'tags'): Promise<string[]> {
  const names: string[] = [];
  let path: string | undefined = first;
  while (path !== undefined) {
    const { headers, body } = await send('GET', path);
    names.push(...(((JSON.parse(body) as Record<string, string[] | null>)[field] ?? []) as string[]));
    const link = headers['link'];
    path = typeof link === 'string' ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
  }
  return names;
}

async function cleanRepository(repository: string): Promise<number> {
  const tags = await allPages(`/v2/${repository}/tags/list?n=1000`, 'tags');
  const configReads = new Map<string, Promise<number>>();
  const created = (config: string) => {
    let read = configReads.get(config);
    if (read === undefined) {
      read = send('GET', `/v2/${repository}/blobs/${config}`).then(({ body }) => Date.parse((JSON.parse(body) as { created: string }).created));
      configReads.set(config, read);
    }
    return read;
  };
  const images = await Promise.all(
    tags.map(async (tag) => {
      if (rankBy === 'order') {
        const { headers } = await send('HEAD', `/v2/${repository}/manifests/${tag}`, { accept });
        return { tag, digest: String(headers['docker-content-digest']), time: 0 };
      }
      const { headers, body } = await send('GET', `/v2/${repository}/manifests/${tag}`, { accept });
      const config = (JSON.parse(body) as { config: { digest: string } }).config.digest;
      return { tag, digest: String(headers['docker-content-digest']), time: await created(config) };
    }),
  );
  // Newest first; the first `keep` distinct images are kept with every tag on them.
  const order = images.sort((a, b) => (rankBy === 'created' && a.time !== b.time ? b.time - a.time : a.tag < b.tag ? 1 : -1));
  const kept = new Set<string>();
  for (const { digest } of order) if (kept.size < keep) kept.add(digest);
  const doomed = order.filter(({ digest }) => !kept.has(digest));
  const targets = deleteBy === 'tag' ? doomed.map(({ tag }) => tag) : [...new Set(doomed.map(({ digest }) => digest))];
  await Promise.all(targets.map((reference) => send('DELETE', `/v2/${repository}/manifests/${reference}`)));
  return targets.length;
}

const repositories = await allPages('/v2/_catalog?n=1000', 'repositories');
const deleted = await Promise.all(repositories.map(cleanRepository));
await dispatcher.close();
process.stdout.write(`${JSON.stringify({ repositories: repositories.length, deleted: deleted.reduce((a, b) => a + b, 0), tokenRequests })}\n`);
