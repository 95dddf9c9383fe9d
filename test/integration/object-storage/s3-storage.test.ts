import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistrySpec } from '../../../src/api/v1alpha1/registry.ts';
import { manifestAccept } from '../../../src/oci/media-types.ts';
import { planCredentials, type CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import type { Role } from '../../../src/registry-auth/identities.ts';
import { DockyardRegistry, type RunningAuthServer } from '../../registry/dockyard-registry.ts';
import { buildImage } from '../../registry/images.ts';
import { debianRegistryAvailable, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { S3Server } from '../../registry/s3-server.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';

// Issue 15: a Registry with storage.s3, its config.yml and env rendered by Dockyard, on the real
// registry binaries of both flavours, against a real S3 server (versitygw), behind the real door.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];
const namespace = 'team-a';
const name = 'objects';
const bucket = 'images';
const credentialsSecret = 'object-store';

function s3Spec(endpoint: string, region: string): RegistrySpec {
  return RegistrySpec.parse({
    storage: { s3: { bucket, region, endpoint, forcePathStyle: true, rootDirectory: '/registry', credentialsSecretRef: { name: credentialsSecret } } },
  });
}

describe.skipIf(inject('externalCluster')).each(flavors)('S3 storage (%s)', (flavor) => {
  let s3: S3Server;
  let dockyard: DockyardRegistry;
  let front: RunningAuthServer;
  let plan: CredentialPlan;
  const client = (role: Role) => new TokenAuthClient(plan.credentials[role].published);

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    s3 = await S3Server.start({ binDir: inject('binDir'), buckets: [bucket], region: 'eu-central-1' });
    plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
    dockyard = await DockyardRegistry.start({
      flavor,
      binDir: inject('binDir'),
      spec: s3Spec(s3.endpoint, s3.region),
      namespace,
      name,
      credentials: plan,
      userSecrets: { [credentialsSecret]: { ...s3.credentials } },
    });
    front = await dockyard.startAuthServer();
  });

  afterAll(async () => {
    await dockyard?.stop();
    await s3?.stop();
  });

  it('pushes into the bucket under rootDirectory, and writes nothing to the filesystem', async () => {
    const image = buildImage({ layerCount: 2, layerBytes: 64 * 1024 });
    await new RegistryPusher(front.url, {}, client('push').fetch).pushManifest('apps/web', image, 'v1');
    const keys = await s3.objectKeys(bucket);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.startsWith('registry/docker/registry/v2/'))).toBe(true);
    for (const blob of image.blobs) {
      const hex = blob.digest.slice('sha256:'.length);
      expect(keys).toContain(`registry/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`);
    }
    expect(keys).toContain('registry/docker/registry/v2/repositories/apps/web/_manifests/tags/v1/current/link');
    expect(existsSync(dockyard.registry.storageDir)).toBe(false);
  });

  it('pulls what it pushed, byte for byte, from the bucket', async () => {
    const image = buildImage({ layerBytes: 300 * 1024 });
    await new RegistryPusher(front.url, {}, client('push').fetch).pushManifest('apps/api', image, 'v1');
    const puller = client('pull');
    const manifest = await puller.fetch(`${front.url}/v2/apps/api/manifests/v1`, { headers: { accept: manifestAccept } });
    expect(manifest.status).toBe(200);
    expect(Buffer.from(await manifest.arrayBuffer()).equals(image.bytes)).toBe(true);
    for (const blob of image.blobs) {
      const response = await puller.fetch(`${front.url}/v2/apps/api/blobs/${blob.digest}`);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
  });

  it('deletes a manifest: the tag goes from the bucket and a pull by digest answers 404', async () => {
    const image = buildImage();
    await new RegistryPusher(front.url, {}, client('push').fetch).pushManifest('apps/doomed', image, 'v1');
    const maintainer = client('maintainer');
    const remove = await maintainer.fetch(`${front.url}/v2/apps/doomed/manifests/${image.digest}`, { method: 'DELETE' });
    expect(remove.status).toBe(202);
    const after = await client('pull').fetch(`${front.url}/v2/apps/doomed/manifests/${image.digest}`, { headers: { accept: manifestAccept } });
    expect(after.status).toBe(404);
    const keys = await s3.objectKeys(bucket, 'registry/docker/registry/v2/repositories/apps/doomed/_manifests/tags');
    expect(keys).toEqual([]);
  });

  it('fails a push when the credentials Secret holds a wrong key: the server checks signatures', async () => {
    const wrong = await DockyardRegistry.start({
      flavor,
      binDir: inject('binDir'),
      spec: s3Spec(s3.endpoint, s3.region),
      namespace,
      name,
      credentials: plan,
      userSecrets: { [credentialsSecret]: { accessKeyID: s3.credentials.accessKeyID, secretAccessKey: 'not-the-secret-key' } },
    });
    try {
      const wrongFront = await wrong.startAuthServer();
      const pusher = new RegistryPusher(wrongFront.url, {}, client('push').fetch);
      await expect(pusher.pushManifest('apps/refused', buildImage(), 'v1')).rejects.toThrow(/HTTP 5\d\d/);
      expect(await s3.objectKeys(bucket, 'registry/docker/registry/v2/repositories/apps/refused')).toEqual([]);
    } finally {
      await wrong.stop();
    }
  });
});
