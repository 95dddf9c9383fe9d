import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistrySpec } from '../../../src/api/v1alpha1/registry.ts';
import { manifestAccept } from '../../../src/oci/media-types.ts';
import { planCredentials, type CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import { DockyardRegistry, type RunningAuthServer } from '../../registry/dockyard-registry.ts';
import { buildImage, type BuiltManifest } from '../../registry/images.ts';
import { debianRegistryAvailable, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';
import { eventually } from '../../support/eventually.ts';
import { LoopbackProxy } from '../../support/loopback-proxy.ts';

// Issue 15: spec.proxy for real. The remote is a second Dockyard registry (real distribution
// behind a real door, so it wants credentials); between the cache and the remote sits a counting
// proxy, which tells how often the cache went to the remote.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];
const namespace = 'team-a';
const remoteCredentials = 'upstream-credentials';
const ttlSeconds = 4;
const newPlan = (): CredentialPlan => planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });

describe.skipIf(inject('externalCluster')).each(flavors)('pull-through cache (%s)', (flavor) => {
  let remote: DockyardRegistry;
  let counter: LoopbackProxy;
  let cache: DockyardRegistry;
  let cacheFront: RunningAuthServer;
  const remotePlan = newPlan();
  const cachePlan = newPlan();
  const image = buildImage({ layerCount: 2, layerBytes: 128 * 1024 });

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    const binDir = inject('binDir');
    remote = await DockyardRegistry.start({
      flavor: 'distribution-3',
      binDir,
      spec: RegistrySpec.parse({ storage: { emptyDir: {} } }),
      namespace: 'upstream',
      name: 'remote',
      credentials: remotePlan,
    });
    const remoteFront = await remote.startAuthServer();
    await new RegistryPusher(remoteFront.url, {}, new TokenAuthClient(remotePlan.credentials.push.published).fetch).pushManifest('library/app', image, 'v1');
    counter = await LoopbackProxy.start([remoteFront.url]);
    const pull = remotePlan.credentials.pull.published;
    cache = await DockyardRegistry.start({
      flavor,
      binDir,
      spec: RegistrySpec.parse({
        storage: { emptyDir: {} },
        proxy: { remoteURL: counter.url, credentialsSecretRef: { name: remoteCredentials }, ttl: `${ttlSeconds}s` },
      }),
      namespace,
      name: 'mirror',
      credentials: cachePlan,
      userSecrets: { [remoteCredentials]: { username: pull.username, password: pull.password } },
    });
    cacheFront = await cache.startAuthServer();
  });

  afterAll(async () => {
    await cache?.stop();
    await counter?.stop();
    await remote?.stop();
  });

  /** Pulls the image through the cache as a kubelet does: manifest by tag, then every blob; checks the bytes. */
  async function pullThroughCache(expected: BuiltManifest): Promise<void> {
    const client = new TokenAuthClient(cachePlan.credentials.pull.published);
    const manifest = await client.fetch(`${cacheFront.url}/v2/library/app/manifests/v1`, { headers: { accept: manifestAccept } });
    expect(manifest.status).toBe(200);
    expect(Buffer.from(await manifest.arrayBuffer()).equals(expected.bytes)).toBe(true);
    for (const blob of expected.blobs) {
      const response = await client.fetch(`${cacheFront.url}/v2/library/app/blobs/${blob.digest}`);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
  }

  // Fetches the remote answered with content; 2.8 first asks without a token and takes a 401.
  const remoteBlobGets = () => counter.count('GET', /^\/v2\/library\/app\/blobs\/sha256:/, 200);
  const remoteManifestGets = () => counter.count('GET', /^\/v2\/library\/app\/manifests\//, 200);

  // 3.x fetches a missing blob once, streaming it to the client and its store together. 2.8
  // fetches it twice: once for the client, once more in the background for its store.
  const fetchesPerBlob = flavor === 'distribution-3' ? 1 : 2;

  it('fetches from the remote, with the credentials Secret, on the first pull only', async () => {
    await pullThroughCache(image);
    const firstPull = image.blobs.length * fetchesPerBlob;
    await eventually(() => remoteBlobGets() === firstPull, { what: `${firstPull} blob fetches from the remote`, timeoutMs: 10_000 });
    expect(remoteManifestGets()).toBe(1);
    // The remote wants a token; the cache got one with the pull identity it was given.
    expect(counter.count('GET', /^\/auth\/token\?/, 200)).toBeGreaterThan(0);

    await pullThroughCache(image);
    expect(remoteBlobGets()).toBe(firstPull);
    expect(remoteManifestGets()).toBe(1);
  });

  it('refuses a push, even with the push identity: a pull-through cache is read-only', async () => {
    const pusher = new RegistryPusher(cacheFront.url, {}, new TokenAuthClient(cachePlan.credentials.push.published).fetch);
    const error = await pusher.pushManifest('library/app', buildImage(), 'pushed').catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/HTTP 405.*UNSUPPORTED/);
  });

  it('refuses deletes, even by the maintainer identity retention uses, and lists the remote tags', async () => {
    const maintainer = new TokenAuthClient(cachePlan.credentials.maintainer.published);
    const remove = await maintainer.fetch(`${cacheFront.url}/v2/library/app/manifests/${image.digest}`, { method: 'DELETE' });
    expect({ status: remove.status, body: await remove.text() }).toEqual({ status: 405, body: expect.stringContaining('UNSUPPORTED') });
    const remoteTagLists = counter.count('GET', /^\/v2\/library\/app\/tags\/list/, 200);
    const tags = await maintainer.fetch(`${cacheFront.url}/v2/library/app/tags/list`);
    expect(((await tags.json()) as { tags: string[] }).tags).toEqual(['v1']);
    expect(counter.count('GET', /^\/v2\/library\/app\/tags\/list/, 200)).toBe(remoteTagLists + 1);
  });

  it(
    flavor === 'distribution-3'
      ? `fetches again from the remote once the ttl (${ttlSeconds}s) has passed`
      : `ignores the ttl: 2.8 keeps cached content for its fixed 7 days`,
    async () => {
      const before = remoteBlobGets();
      await sleep((ttlSeconds + 3) * 1000);
      await pullThroughCache(image);
      expect(remoteBlobGets() - before).toBe(flavor === 'distribution-3' ? image.blobs.length * fetchesPerBlob : 0);
    },
  );
});
