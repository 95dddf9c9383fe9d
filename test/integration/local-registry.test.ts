import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { manifestAccept, mediaTypes } from '../../src/oci/media-types.ts';
import { buildImage, buildIndex, buildReferrer } from '../registry/images.ts';
import { debianRegistryAvailable, LocalRegistry, type RegistryFlavor } from '../registry/local-registry.ts';
import { RegistryPusher } from '../registry/push.ts';

// Both flavours Dockyard must work with; 2.8 comes from Debian and `make tools` installs it.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];

// The registry binaries come with the local control plane's build; a kind run skips these.
describe.skipIf(inject('externalCluster')).each(flavors)('local registry (%s)', (flavor) => {
  let registry: LocalRegistry;
  let pusher: RegistryPusher;

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) {
      throw new Error('Debian docker-registry is missing: run make tools');
    }
    registry = await LocalRegistry.start({ flavor, binDir: inject('binDir') });
    pusher = new RegistryPusher(registry.url);
  });

  afterAll(async () => {
    await registry?.stop();
  });

  const getManifest = (repository: string, reference: string, accept = manifestAccept) =>
    fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, { headers: { accept } });

  it('stores a pushed image and serves it back by tag and by digest', async () => {
    const image = buildImage({ layerCount: 2, created: new Date('2026-01-02T03:04:05Z') });
    await pusher.pushManifest('apps/web', image, 'v1.0.0');

    const byTag = await getManifest('apps/web', 'v1.0.0');
    expect(byTag.status).toBe(200);
    expect(byTag.headers.get('docker-content-digest')).toBe(image.digest);
    expect(Buffer.from(await byTag.arrayBuffer()).equals(image.bytes)).toBe(true);

    const byDigest = await getManifest('apps/web', image.digest);
    expect(byDigest.status).toBe(200);
    expect(byDigest.headers.get('content-type')).toBe(mediaTypes.ociManifest);

    const [config] = image.blobs;
    const configBlob = await fetch(`${registry.url}/v2/apps/web/blobs/${config!.digest}`);
    expect(JSON.parse(await configBlob.text()).created).toBe('2026-01-02T03:04:05.000Z');

    const tags = (await (await fetch(`${registry.url}/v2/apps/web/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['v1.0.0']);
  });

  it('stores a multi-arch index with its platform manifests', async () => {
    const index = buildIndex([{ architecture: 'amd64' }, { architecture: 'arm64' }]);
    await pusher.pushManifest('apps/multi', index, 'latest');

    const response = await getManifest('apps/multi', 'latest');
    expect(response.headers.get('docker-content-digest')).toBe(index.digest);
    const body = (await response.json()) as { manifests: { digest: string; platform: { architecture: string } }[] };
    expect(body.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    for (const child of index.children) {
      expect((await getManifest('apps/multi', child.digest)).status).toBe(200);
    }
  });

  it('stores a referrer that points at its subject', async () => {
    const subject = buildImage();
    await pusher.pushManifest('apps/signed', subject, 'v1');
    const signature = buildReferrer(subject, 'application/vnd.dev.cosign.artifact.sig.v1+json');
    await pusher.pushManifest('apps/signed', signature);

    const response = await getManifest('apps/signed', signature.digest);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { subject: { digest: string }; artifactType: string };
    expect(body.subject.digest).toBe(subject.digest);
    expect(body.artifactType).toBe('application/vnd.dev.cosign.artifact.sig.v1+json');
  });

  // DESIGN.md records how each flavour answers a DELETE by tag; keep those facts measured.
  it('answers DELETE by tag the way DESIGN.md records for this flavour', async () => {
    const image = buildImage();
    await pusher.pushManifest('apps/deletes', image, 'old');
    const response = await fetch(`${registry.url}/v2/apps/deletes/manifests/old`, { method: 'DELETE' });
    if (flavor === 'distribution-2.8') {
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('DIGEST_INVALID');
    } else {
      expect(response.status).toBe(202);
      expect((await getManifest('apps/deletes', 'old')).status).toBe(404);
    }
    const byDigest = await fetch(`${registry.url}/v2/apps/deletes/manifests/${image.digest}`, { method: 'DELETE' });
    expect(byDigest.status).toBe(202);
  });
});
