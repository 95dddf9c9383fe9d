import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistrySpec } from '../../../src/api/v1alpha1/registry.ts';
import { manifestAccept } from '../../../src/oci/media-types.ts';
import { planCredentials, type CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import { authSecretKeys } from '../../../src/registry-auth/pod-contract.ts';
import { DockyardRegistry } from '../../registry/dockyard-registry.ts';
import { buildImage, digestOf } from '../../registry/images.ts';
import { debianRegistryAvailable, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { S3Server } from '../../registry/s3-server.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';
import { LoopbackProxy } from '../../support/loopback-proxy.ts';

// Issue 15: two replicas of one Registry on one bucket, each a real registry process behind its
// own door, behind a round-robin proxy that stands in for the Service. Resumable uploads carry
// their state in an HMAC'd token (http.secret): with the secret the operator shares through the
// auth Secret, any replica takes up an upload another started.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];
const namespace = 'team-a';
const name = 'shared';
const bucket = 'images';
const credentialsSecret = 'object-store';
const MiB = 1024 * 1024;

interface Replicas {
  replicas: DockyardRegistry[];
  proxy: LoopbackProxy;
}

describe.skipIf(inject('externalCluster')).each(flavors)('two replicas on one bucket (%s)', (flavor) => {
  let s3: S3Server;
  let plan: CredentialPlan;
  let shared: Replicas;
  let spec: RegistrySpec;
  const stopping: Array<() => Promise<void>> = [];

  /** Two replicas behind one round-robin proxy; the second with `authSecret` changed as given. */
  async function startReplicas(changeSecond: (authSecret: Record<string, string>) => Record<string, string> = (same) => same): Promise<Replicas> {
    const options = { flavor, binDir: inject('binDir'), spec, namespace, name, credentials: plan, userSecrets: { [credentialsSecret]: { ...s3.credentials } } };
    const first = await DockyardRegistry.start(options);
    stopping.push(() => first.stop());
    const second = await DockyardRegistry.start({ ...options, sharedAuthSecret: changeSecond(first.authSecretData) });
    stopping.push(() => second.stop());
    const fronts = [await first.startAuthServer(), await second.startAuthServer()];
    const proxy = await LoopbackProxy.start(fronts.map((front) => front.url));
    stopping.push(() => proxy.stop());
    return { replicas: [first, second], proxy };
  }

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    s3 = await S3Server.start({ binDir: inject('binDir'), buckets: [bucket] });
    spec = RegistrySpec.parse({
      replicas: 2,
      storage: { s3: { bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentialsSecretRef: { name: credentialsSecret } } },
    });
    plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
    shared = await startReplicas();
  });

  afterAll(async () => {
    for (const stop of stopping.reverse()) await stop();
    await s3?.stop();
  });

  /**
   * A chunked upload (POST, PATCH, PATCH, PUT with the last bytes) through the proxy, one proxied
   * request each once the token is in hand. Returns the final status and which upstream served
   * each step.
   */
  async function chunkedUpload(proxy: LoopbackProxy, repository: string, chunks: Buffer[]): Promise<{ status: number; body: string; upstreams: string[] }> {
    const client = new TokenAuthClient(plan.credentials.push.published);
    const whole = Buffer.concat(chunks);
    const digest = digestOf(whole);
    // An upload started and left: takes the 401 and the token exchange (push scope) out of the
    // sequence below.
    await (await client.fetch(`${proxy.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' })).arrayBuffer();
    const firstStep = proxy.forwarded.length;
    const start = await client.fetch(`${proxy.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    let location = new URL(start.headers.get('location')!, proxy.url);
    let offset = 0;
    for (const chunk of chunks.slice(0, -1)) {
      const patch = await client.fetch(location, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + chunk.length - 1}`,
          'content-length': String(chunk.length),
        },
        body: chunk,
      });
      if (patch.status !== 202) return { status: patch.status, body: await patch.text(), upstreams: upstreamsSince(proxy, firstStep) };
      offset += chunk.length;
      location = new URL(patch.headers.get('location')!, proxy.url);
    }
    location.searchParams.set('digest', digest);
    const last = chunks.at(-1)!;
    const put = await client.fetch(location, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(last.length) },
      body: last,
    });
    return { status: put.status, body: await put.text(), upstreams: upstreamsSince(proxy, firstStep) };
  }

  it('finishes a chunked upload whose requests alternate between the replicas', async () => {
    // Parts of at least 5 MiB, as S3 multipart uploads need for all parts but the last.
    const chunks = [randomBytes(5.5 * MiB), randomBytes(5.5 * MiB), randomBytes(MiB)];
    const upload = await chunkedUpload(shared.proxy, 'apps/big', chunks);
    expect(upload.body).toBe('');
    expect(upload.status).toBe(201);
    expect(upload.upstreams).toHaveLength(4);
    upload.upstreams.forEach((upstream, step) => {
      if (step > 0) expect(upstream, `step ${step} went to the other replica`).not.toBe(upload.upstreams[step - 1]);
    });

    const digest = digestOf(Buffer.concat(chunks));
    const puller = new TokenAuthClient(plan.credentials.pull.published);
    for (let pull = 0; pull < 2; pull += 1) {
      const blob = await puller.fetch(`${shared.proxy.url}/v2/apps/big/blobs/${digest}`);
      expect(blob.status).toBe(200);
      expect(digestOf(Buffer.from(await blob.arrayBuffer()))).toBe(digest);
    }
  });

  it('serves the same image from either replica after a push through the proxy', async () => {
    const image = buildImage({ layerCount: 3 });
    const pusher = new TokenAuthClient(plan.credentials.push.published);
    await new RegistryPusher(shared.proxy.url, {}, pusher.fetch).pushManifest('apps/web', image, 'v1');
    for (const replica of shared.replicas) {
      const front = await replica.startAuthServer();
      const puller = new TokenAuthClient(plan.credentials.pull.published);
      const manifest = await puller.fetch(`${front.url}/v2/apps/web/manifests/v1`, { headers: { accept: manifestAccept } });
      expect(manifest.status).toBe(200);
      expect(Buffer.from(await manifest.arrayBuffer()).equals(image.bytes)).toBe(true);
      const layer = await puller.fetch(`${front.url}/v2/apps/web/blobs/${image.blobs[1]!.digest}`);
      expect(Buffer.from(await layer.arrayBuffer()).equals(image.blobs[1]!.bytes)).toBe(true);
    }
  });

  it('loses the upload at the second replica when the replicas do not share http.secret', async () => {
    const unshared = await startReplicas((authSecret) => ({ ...authSecret, [authSecretKeys.httpSecret]: randomBytes(32).toString('base64') }));
    const upload = await chunkedUpload(unshared.proxy, 'apps/lost', [randomBytes(5.5 * MiB), randomBytes(MiB)]);
    expect({ status: upload.status, body: upload.body }).toEqual({ status: 404, body: expect.stringContaining('BLOB_UPLOAD_INVALID') });
  });
});

function upstreamsSince(proxy: LoopbackProxy, first: number): string[] {
  return proxy.forwarded.slice(first).map((entry) => entry.upstream);
}
