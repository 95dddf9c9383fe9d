import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mediaTypes } from '../../../src/oci/media-types.ts';
import { RegistryClient } from '../../../src/oci/client.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import type { KubeObject } from '../../../src/runtime/resource.ts';
import { auditedRequests, describeRequest } from '../../support/audit-log.ts';
import { eventually } from '../../support/eventually.ts';
import { buildImage, buildIndex, digestOf, type BuiltManifest } from '../../registry/images.ts';
import { LocalRegistry } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { operatorUser, RegistryTestbed } from '../registry/testbed.ts';

const tenant = 'imagerepo-tenant';
const imageRepositories = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'ImageRepository', plural: 'imagerepositories', namespaced: true } as const;

type Condition = { type: string; status: string; reason: string; message: string };
type ImageRepositoryObject = KubeObject & {
  status?: { observedGeneration?: number; conditions?: Condition[]; tagCount?: number; sizeBytes?: number; lastPushTime?: string };
};

/** Bytes the tags reach, each digest once: what the status must say, from what was pushed. */
function expectedSize(manifests: BuiltManifest[]): number {
  const sizes = new Map<string, number>();
  const visit = (manifest: BuiltManifest) => {
    sizes.set(manifest.digest, manifest.bytes.length);
    for (const blob of manifest.blobs) sizes.set(blob.digest, blob.bytes.length);
    for (const child of manifest.children) visit(child);
  };
  for (const manifest of manifests) visit(manifest);
  return [...sizes.values()].reduce((sum, size) => sum + size, 0);
}

/** A second image on the first one's layers, with its own config. */
function onSameLayers(base: BuiltManifest): BuiltManifest {
  const layers = base.blobs.slice(1);
  const config = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, note: Math.random() }));
  const manifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: mediaTypes.ociConfig, digest: digestOf(config), size: config.length },
    layers: layers.map((layer) => ({ mediaType: mediaTypes.ociLayerGzip, digest: layer.digest, size: layer.bytes.length })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { mediaType: mediaTypes.ociManifest, bytes, digest: digestOf(bytes), blobs: [{ digest: digestOf(config), bytes: config }, ...layers], children: [] };
}

// The ImageRepository controller as users meet it: the bundled operator, an external Registry that
// is a real distribution 3.0.0 on loopback (the operator runs on this host, not behind a Service).
describe.skipIf(inject('externalCluster'))('the ImageRepository controller', () => {
  let testbed: RegistryTestbed;
  let client: KubeClient;
  let registry: LocalRegistry;
  let pusher: RegistryPusher;
  let nudges = 0;

  const get = (name: string) => client.get<ImageRepositoryObject>(imageRepositories, { namespace: tenant, name });
  const condition = (object: ImageRepositoryObject, type: string) => object.status?.conditions?.find((candidate) => candidate.type === type);
  const create = (name: string, registryName: string, repository: string) =>
    client.create(imageRepositories, {
      apiVersion: 'dockyard.dev/v1alpha1',
      kind: 'ImageRepository',
      metadata: { name, namespace: tenant },
      spec: { registryRef: { name: registryName }, repository },
    });
  /** Asks for a read now (the refresh-now annotation), then waits until the status says what `check` wants. */
  const refreshUntil = async (name: string, what: string, check: (object: ImageRepositoryObject) => boolean) => {
    nudges += 1;
    await client.patch(imageRepositories, { namespace: tenant, name }, 'merge', { metadata: { annotations: { 'dockyard.dev/refresh-now': String(nudges) } } });
    return eventually(
      async () => {
        const object = await get(name);
        return check(object) ? object : undefined;
      },
      { what, timeoutMs: 30_000 },
    );
  };

  beforeAll(async () => {
    registry = await LocalRegistry.start({ flavor: 'distribution-3', binDir: inject('binDir') });
    pusher = new RegistryPusher(registry.url);
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: '' });
    client = new KubeClient(testbed.kubeConfig);
    await testbed.createNamespace(tenant);
    await testbed.createRegistry(tenant, 'outside', { external: { url: registry.url } });
    await testbed.waitForReady(tenant, 'outside');
  });

  afterAll(async () => {
    await testbed?.stop();
    await registry?.stop();
  });

  it('says NotFound, not an error, for a repository never pushed, and Ready after the first push', async () => {
    await create('web', 'outside', 'apps/web');
    const waiting = await refreshUntil('web', 'Ready=False/NotFound', (object) => condition(object, 'Ready')?.reason === 'NotFound');
    expect(condition(waiting, 'Ready')?.status).toBe('False');
    expect(condition(waiting, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(waiting.status).toMatchObject({ tagCount: 0, sizeBytes: 0, observedGeneration: waiting.metadata?.generation });

    const first = buildImage({ layerCount: 2, layerBytes: 4096 });
    await pusher.pushManifest('apps/web', first, 'v1');
    const ready = await refreshUntil('web', 'Ready=True after the first push', (object) => condition(object, 'Ready')?.status === 'True');
    expect(ready.status).toMatchObject({ tagCount: 1, sizeBytes: expectedSize([first]) });
    // An external registry keeps no push records: no push time is made up.
    expect(ready.status?.lastPushTime).toBeUndefined();
  });

  it('equals what the registry holds after pushes with shared layers and an index, and after deletions', async () => {
    const base = buildImage({ layerCount: 3, layerBytes: 8192 });
    const sibling = onSameLayers(base);
    const index = buildIndex([{ architecture: 'amd64' }, { architecture: 'arm64' }]);
    await pusher.pushManifest('apps/api', base, 'base');
    await pusher.pushManifest('apps/api', sibling, 'sibling');
    await pusher.pushManifest('apps/api', index, 'multi');
    await pusher.pushManifest('apps/api', index, 'multi-again');
    await create('api', 'outside', 'apps/api');
    const all = expectedSize([base, sibling, index]);
    const full = await refreshUntil('api', 'four tags', (object) => object.status?.tagCount === 4);
    expect(full.status?.sizeBytes).toBe(all);
    expect(all).toBeLessThan(expectedSize([base]) + expectedSize([sibling]) + expectedSize([index]) * 2);

    const registryClient = new RegistryClient({ url: registry.url });
    try {
      await registryClient.deleteManifest('apps/api', index.digest);
      await registryClient.deleteManifest('apps/api', base.digest);
    } finally {
      await registryClient.close();
    }
    const after = await refreshUntil('api', 'one tag left', (object) => object.status?.tagCount === 1);
    expect(after.status?.sizeBytes).toBe(expectedSize([sibling]));
    expect(condition(after, 'Ready')?.status).toBe('True');
  });

  it('names a missing Registry and an unreachable one', async () => {
    await create('orphan', 'missing', 'apps/web');
    const orphan = await refreshUntil('orphan', 'Degraded/RegistryNotFound', (object) => condition(object, 'Degraded')?.reason === 'RegistryNotFound');
    expect(condition(orphan, 'Ready')).toMatchObject({ status: 'False', reason: 'RegistryNotFound' });
    expect(condition(orphan, 'Degraded')?.message).toContain('spec.registryRef');

    await testbed.createRegistry(tenant, 'closed', { external: { url: 'http://127.0.0.1:9' } });
    await create('far', 'closed', 'apps/web');
    const far = await refreshUntil('far', 'Degraded with a reason', (object) =>
      ['Unreachable', 'RegistryNotReady'].includes(condition(object, 'Degraded')?.reason ?? ''),
    );
    expect(condition(far, 'Degraded')?.status).toBe('True');
    expect(condition(far, 'Degraded')?.message).toMatch(/127\.0\.0\.1:9|not Ready/);
    // One Warning each, naming the reason the status gives. Events are sent after the status
    // write, so this also keeps them out of the quiet window the next test measures.
    for (const [name, reason] of [
      ['orphan', 'RegistryNotFound'],
      ['far', condition(far, 'Degraded')?.reason],
    ]) {
      const warnings = await eventually(
        async () => {
          const { items } = await client.request<{ items: { reason?: string; type?: string; regarding?: { name?: string } }[] }>(
            'GET',
            `/apis/events.k8s.io/v1/namespaces/${tenant}/events`,
          );
          const found = items.filter((event) => event.regarding?.name === name);
          return found.length > 0 && found;
        },
        { what: `a Warning Event for ImageRepository ${name}` },
      );
      expect(warnings.map((event) => [event.type, event.reason])).toEqual([['Warning', reason]]);
    }
  }, 120_000);

  it('writes nothing while nothing changed, though each ImageRepository is reconciled', async () => {
    const names = ['web', 'api', 'orphan', 'far'];
    const statuses = async () => JSON.stringify(await Promise.all(names.map(async (name) => (await get(name)).status)));
    // The claim holds only for a window in which nothing changed: a read that failed under load,
    // or a Registry's status arriving late, is a real change and rightly written. Such a window is
    // measured again; a window with unchanged statuses must hold no write at all.
    for (let attempt = 1; ; attempt += 1) {
      const settled = await eventually(
        async () => {
          const first = await statuses();
          await new Promise((resolve) => setTimeout(resolve, 3_000));
          return first === (await statuses()) && first;
        },
        { what: 'ImageRepository statuses that stay the same for 3 s', timeoutMs: 60_000 },
      );
      const from = Date.now();
      for (const name of names) {
        await client.patch(imageRepositories, { namespace: tenant, name }, 'merge', { metadata: { labels: { 'test.dockyard.dev/nudge': `idle-${attempt}` } } });
      }
      await testbed.operator.waitForLog(
        (line) => line.msg === 'reconciled' && line['key'] === `${tenant}/orphan` && line['controller'] === 'imagerepository' && Date.parse(line.time) > from,
        'a reconcile of the nudged ImageRepositories',
        { timeoutMs: 30_000 },
      );
      await new Promise((resolve) => setTimeout(resolve, 40_000 - (Date.now() - from)));
      const writes = await auditedRequests(testbed.plane.auditLogFile, operatorUser, { from, to: Date.now() });
      // The Registry controller keeps looking at the unreachable Registry; its writes are not ours.
      const ours = writes.filter((event) => event.objectRef?.resource !== 'registries' && !(event.objectRef?.name ?? '').startsWith('closed'));
      const after = await statuses();
      if (after !== settled && attempt < 3) continue;
      expect(after, 'the statuses changed in every window measured').toBe(settled);
      expect(ours.map(describeRequest)).toEqual([]);
      return;
    }
  }, 300_000);
});
