import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { RegistrySpec } from '../../../src/api/v1alpha1/registry.ts';
import { RegistryClient } from '../../../src/oci/client.ts';
import { DeleteByTagUnsupportedError, DeletesDisabledError, NotFoundError, ReadOnlyError, UnauthorizedError } from '../../../src/oci/errors.ts';
import { mediaTypes } from '../../../src/oci/media-types.ts';
import { referrersTagFor } from '../../../src/oci/reference.ts';
import { planCredentials } from '../../../src/registry-auth/credential-plan.ts';
import { DockyardRegistry } from '../../registry/dockyard-registry.ts';
import { buildImage, buildIndex, buildReferrer, buildReferrersIndex } from '../../registry/images.ts';
import { debianRegistryAvailable, LocalRegistry, localRegistryConfig, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';

// The OCI client against the registries Dockyard runs: distribution 3.0.0 (built from its Go
// module) and Debian's 2.8.2, filled through the API with generated images.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];
const signatureType = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const sbomType = 'application/spdx+json';

/** A registry with the usual local config but other `storage` settings (deletes, maintenance). */
function withStorage(storage: Record<string, unknown>) {
  return ({ port, storageDirectory }: { port: number; storageDirectory: string }) => {
    const config = localRegistryConfig(storageDirectory, port) as { storage: Record<string, unknown> };
    return stringify({ ...config, storage: { ...config.storage, ...storage } });
  };
}

describe.skipIf(inject('externalCluster')).each(flavors)('OCI client (%s)', (flavor) => {
  let registry: LocalRegistry;
  let pusher: RegistryPusher;
  let client: RegistryClient;

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    registry = await LocalRegistry.start({ flavor, binDir: inject('binDir') });
    pusher = new RegistryPusher(registry.url);
    client = new RegistryClient({ url: registry.url, maxConcurrency: 4 });
  });

  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('lists more tags than a page holds, page by page where the registry pages tags', async () => {
    const image = buildImage();
    const tags = Array.from({ length: 25 }, (_, index) => `t${String(index).padStart(2, '0')}`);
    for (const tag of tags) await pusher.pushManifest('paging/many', image, tag);
    const before = client.requestCounts().tags;
    const pages: string[][] = [];
    for await (const page of client.tags('paging/many', { pageSize: 10 })) pages.push(page);
    // 2.8 lists tags in storage order, 3 sorts them.
    expect(pages.flat().sort()).toEqual(tags);
    // distribution 3 honours n and sends Link; 2.8 ignores both and sends every tag at once.
    const expectedPages = flavor === 'distribution-3' ? [10, 10, 5] : [25];
    expect(pages.map((page) => page.length)).toEqual(expectedPages);
    expect(client.requestCounts().tags - before).toBe(expectedPages.length);
  });

  it('lists the catalog page by page', async () => {
    const image = buildImage();
    for (const repository of ['catalog/a', 'catalog/b', 'catalog/c']) await pusher.pushManifest(repository, image, 'v1');
    const pages: string[][] = [];
    for await (const page of client.repositories({ pageSize: 2 })) pages.push(page);
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    expect(pages.flat()).toEqual(expect.arrayContaining(['catalog/a', 'catalog/b', 'catalog/c']));
    expect(new Set(pages.flat()).size).toBe(pages.flat().length);
  });

  it("resolves a tag on a multi-arch index to the index's digest, not a platform's", async () => {
    const index = buildIndex([{ architecture: 'amd64' }, { architecture: 'arm64' }]);
    await pusher.pushManifest('apps/multi', index, 'latest');
    const head = await client.headManifest('apps/multi', 'latest');
    expect(head).toEqual({ digest: index.digest, mediaType: mediaTypes.ociIndex, size: index.bytes.length });
    const manifest = await client.getManifest('apps/multi', 'latest');
    expect(manifest.digest).toBe(index.digest);
    expect(manifest.bytes.equals(index.bytes)).toBe(true);
    expect(manifest.content.manifests?.map((child) => child.digest)).toEqual(index.children.map((child) => child.digest));
  });

  it('reads Docker schema 2 manifests and the config with its created time', async () => {
    const created = new Date('2026-03-04T05:06:07Z');
    const image = buildImage({ docker: true, created });
    await pusher.pushManifest('apps/docker', image, 'v1');
    expect(await client.headManifest('apps/docker', 'v1')).toMatchObject({ digest: image.digest, mediaType: mediaTypes.dockerManifest });
    const manifest = await client.getManifest('apps/docker', image.digest);
    expect(manifest.content.config?.digest).toBe(image.blobs[0]!.digest);
    const config = await client.getConfig('apps/docker', manifest.content.config!.digest);
    expect(config.created).toBe(created.toISOString());
  });

  it('finds referrers through the sha256-<hex> tag where the registry has no referrers API', async () => {
    const subject = buildImage();
    const signature = buildReferrer(subject, signatureType);
    const sbom = buildReferrer(subject, sbomType);
    await pusher.pushManifest('apps/signed', subject, 'v1');
    await pusher.pushManifest('apps/signed', signature);
    await pusher.pushManifest('apps/signed', sbom);
    await pusher.pushManifest('apps/signed', buildReferrersIndex([signature, sbom]), referrersTagFor(subject.digest));

    const all = await client.referrers('apps/signed', subject.digest);
    expect(all.source).toBe('tag-schema');
    expect(all.referrers.map((referrer) => referrer.digest)).toEqual([signature.digest, sbom.digest]);
    const signatures = await client.referrers('apps/signed', subject.digest, { artifactType: signatureType });
    expect(signatures.referrers.map((referrer) => referrer.digest)).toEqual([signature.digest]);

    const unsigned = buildImage();
    await pusher.pushManifest('apps/signed', unsigned, 'v2');
    expect(await client.referrers('apps/signed', unsigned.digest)).toEqual({ referrers: [], source: 'tag-schema' });
    // Learnt once: later subjects cost no request to the missing API, and none at all when the caller's tag list lacks the fallback tag.
    const before = client.requestCounts();
    const tags = new Set(await client.allTags('apps/signed'));
    expect(await client.referrers('apps/signed', unsigned.digest, { tags })).toEqual({ referrers: [], source: 'tag-schema' });
    expect(client.requestCounts().referrers).toBe(before.referrers);
    expect(client.requestCounts()['manifest-get']).toBe(before['manifest-get']);
  });

  it('deletes by tag on 3.x and leaves the manifest; 2.8 refuses with a clear error', async () => {
    const image = buildImage();
    await pusher.pushManifest('apps/untag', image, 'old');
    await pusher.pushManifest('apps/untag', image, 'keep');
    if (flavor === 'distribution-3') {
      expect(await client.deleteTag('apps/untag', 'old')).toBe('deleted');
      await expect(client.headManifest('apps/untag', 'old')).rejects.toBeInstanceOf(NotFoundError);
      expect((await client.headManifest('apps/untag', image.digest)).digest).toBe(image.digest);
      expect(await client.allTags('apps/untag')).toEqual(['keep']);
      expect(await client.deleteTag('apps/untag', 'old')).toBe('absent');
    } else {
      const error = await client.deleteTag('apps/untag', 'old').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DeleteByTagUnsupportedError);
      expect((error as Error).message).toContain('HTTP 400 (DIGEST_INVALID): this registry deletes manifests by digest only');
    }
  });

  it('deletes by digest with every tag on it, and calls a second delete absent', async () => {
    const doomed = buildImage();
    const kept = buildImage();
    await pusher.pushManifest('apps/prune', doomed, 'a');
    await pusher.pushManifest('apps/prune', doomed, 'b');
    await pusher.pushManifest('apps/prune', kept, 'c');
    expect(await client.deleteManifest('apps/prune', doomed.digest)).toBe('deleted');
    expect(await client.allTags('apps/prune')).toEqual(['c']);
    await expect(client.headManifest('apps/prune', doomed.digest)).rejects.toBeInstanceOf(NotFoundError);
    expect(await client.deleteManifest('apps/prune', doomed.digest)).toBe('absent');
  });

  it('says deletes are disabled (3.0 still untags), and that a read-only registry is read-only', async () => {
    const image = buildImage();
    const noDeletes = await LocalRegistry.start({ flavor, binDir: inject('binDir'), config: withStorage({ delete: { enabled: false } }) });
    const readOnly = await LocalRegistry.start({
      flavor,
      binDir: inject('binDir'),
      config: withStorage({ maintenance: { uploadpurging: { enabled: false }, readonly: { enabled: true } } }),
    });
    try {
      await new RegistryPusher(noDeletes.url).pushManifest('apps/web', image, 'v1');
      const refused = new RegistryClient({ url: noDeletes.url });
      const disabled = await refused.deleteManifest('apps/web', image.digest).catch((caught: unknown) => caught);
      expect(disabled).toBeInstanceOf(DeletesDisabledError);
      expect((disabled as Error).message).toContain('deletes are disabled on this registry');
      expect((await refused.headManifest('apps/web', 'v1')).digest).toBe(image.digest);
      // Measured: 3.0.0 untags even with deletes disabled (Untag never reads storage.delete.enabled);
      // 2.8 refuses. Whoever wants a registry's deletes off cannot rely on that setting with 3.x.
      if (flavor === 'distribution-3') {
        expect(await refused.deleteTag('apps/web', 'v1')).toBe('deleted');
        expect(await refused.allTags('apps/web')).toEqual([]);
      } else {
        await expect(refused.deleteTag('apps/web', 'v1')).rejects.toBeInstanceOf(DeletesDisabledError);
      }
      await refused.close();

      const frozen = new RegistryClient({ url: readOnly.url });
      for (const attempt of [() => frozen.deleteManifest('apps/web', image.digest), () => frozen.deleteTag('apps/web', 'v1')]) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ReadOnlyError);
        expect((error as Error).message).toContain('the registry is read-only for maintenance');
      }
      await frozen.close();
    } finally {
      await noDeletes.stop();
      await readOnly.stop();
    }
  });
});

describe.skipIf(inject('externalCluster')).each(flavors)('OCI client behind the Dockyard auth server (%s)', (flavor) => {
  const spec = RegistrySpec.parse({ storage: { emptyDir: {} } });
  const plan = planCredentials({ identities: undefined, known: {}, rotation: spec.auth?.credentialRotation, rotationRequest: undefined, now: new Date() });
  let dockyard: DockyardRegistry;
  let url: string;

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    dockyard = await DockyardRegistry.start({ flavor, binDir: inject('binDir'), spec, namespace: 'team-a', name: 'main', credentials: plan });
    url = (await dockyard.startAuthServer()).url;
  });

  afterAll(async () => {
    await dockyard?.stop();
  });

  it('walks and prunes the registry as the maintainer with one token per repository and one for the catalog', async () => {
    const pusher = new RegistryPusher(url, {}, new TokenAuthClient(plan.credentials.push.published).fetch);
    const images = [buildImage(), buildImage()];
    for (const repository of ['team/one', 'team/two']) {
      await pusher.pushManifest(repository, images[0]!, 'old');
      await pusher.pushManifest(repository, images[1]!, 'new');
    }
    const maintainer = new RegistryClient({ url, credentials: plan.credentials.maintainer.published, repositoryActions: ['pull', 'delete'] });
    try {
      const repositories: string[] = [];
      for await (const page of maintainer.repositories()) repositories.push(...page);
      expect(repositories).toEqual(['team/one', 'team/two']);
      for (const repository of repositories) {
        const tags = await maintainer.allTags(repository);
        const heads = await Promise.all(tags.map((tag) => maintainer.headManifest(repository, tag)));
        expect(heads.map((head) => head.digest)).toEqual([images[1]!.digest, images[0]!.digest]);
        expect(await maintainer.deleteManifest(repository, images[0]!.digest)).toBe('deleted');
        expect(await maintainer.allTags(repository)).toEqual(['new']);
      }
      // The first request learnt the challenge; after that, each scope cost one token request.
      expect(maintainer.requestCounts().token).toBe(3);
    } finally {
      await maintainer.close();
    }
  });

  it('tells a pull identity it may not delete, without quoting its password', async () => {
    const image = buildImage();
    await new RegistryPusher(url, {}, new TokenAuthClient(plan.credentials.push.published).fetch).pushManifest('team/guarded', image, 'v1');
    const credentials = plan.credentials.pull.published;
    const puller = new RegistryClient({ url, credentials });
    try {
      expect((await puller.headManifest('team/guarded', 'v1')).digest).toBe(image.digest);
      const error = await puller.deleteManifest('team/guarded', image.digest).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as Error).message).toContain('the token service did not grant the permission to delete here');
      expect((error as Error).message).not.toContain(credentials.password);
    } finally {
      await puller.close();
    }
  });
});
