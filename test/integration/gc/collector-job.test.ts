import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collectorJob } from '../../../src/controllers/registry/garbage-collection/collector-job.ts';
import { parseCollectorOutput } from '../../../src/controllers/registry/garbage-collection/collector-output.ts';
import {
  crossCheck,
  markThroughApi,
  verifyAfterCollection,
  type IndependentMark,
} from '../../../src/controllers/registry/garbage-collection/independent-mark.ts';
import type { RegistryClient } from '../../../src/oci/client.ts';
import type { CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import { registry } from '../../support/registries.ts';
import { diskUsage, runCollectorAsTheJob } from '../../registry/collector.ts';
import type { DockyardRegistry, RunningAuthServer } from '../../registry/dockyard-registry.ts';
import { type LocalCollectionRig, startCollectionRig } from '../../registry/gc-local-ports.ts';
import { collectable, fillForCollection, type GarbageFixture, pullCompletely } from '../../registry/gc-fixtures.ts';
import type { BuiltManifest } from '../../registry/images.ts';
import { debianRegistryAvailable, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';

// Issue 14, the collector: what the operator's Job runs (its own args and env), executed here
// against the registry's own rendered config and storage. On 3.0.0 it frees the blobs of deleted
// and untagged images and keeps everything a tag reaches, index children included; on 2.8 the
// same run marks the children of a tagged index for deletion, which is why the operator refuses
// deleteUntagged there.
const spec = { storage: { persistentVolumeClaim: { size: '1Gi' } }, garbageCollection: { schedule: '0 4 * * *', deleteUntagged: true } };

describe.skipIf(inject('externalCluster'))('the collector Job run as the Job would (distribution-3)', () => {
  let rig: LocalCollectionRig;
  let dockyard: DockyardRegistry;
  let door: RunningAuthServer;
  let plan: CredentialPlan;
  let filled: GarbageFixture;
  let client: RegistryClient;
  let mark: IndependentMark;
  const subject = registry(spec);
  const local = () => ({
    flavor: 'distribution-3' as RegistryFlavor,
    binDir: inject('binDir'),
    configFile: join(dirname(dockyard.registry.storageDir), 'config.yml'),
  });

  beforeAll(async () => {
    rig = await startCollectionRig({ spec, binDir: inject('binDir') });
    ({ dockyard, door } = rig.replicas[0]!);
    ({ plan, client } = rig);
    filled = await fillForCollection(door, plan);
  });

  afterAll(async () => {
    await rig?.stop();
  });

  it('dry-runs, then collects exactly the blobs of deleted and untagged images, and every tag still pulls completely', async () => {
    const dryRunJob = collectorJob(subject, { phase: 'dry-run', run: 'it1', deleteUntagged: true, activeDeadlineSeconds: 600 });
    const dryRun = await runCollectorAsTheJob(dryRunJob, local());
    expect(dryRun.exitCode, dryRun.output).toBe(0);
    const planned = parseCollectorOutput(dryRun.output);
    const { digests: gone, bytes: goneBytes } = collectable(filled);
    expect(new Set(planned.eligibleBlobs)).toEqual(new Set(gone));
    expect(planned.eligibleManifests).toEqual([{ repository: 'apps/web', digest: filled.untagged.digest }]);

    // Dockyard's own mark through the API agrees with the collector's: nothing eligible is referenced.
    mark = await markThroughApi(client);
    expect([...mark.tags.keys()].sort()).toEqual(['apps/multi:v1', 'apps/web:current']);
    for (const child of filled.index.children) expect(mark.referenced.has(child.digest)).toBe(true);
    expect(crossCheck(planned, mark)).toEqual([]);
    // A collector that wanted a referenced blob (distribution#4939) would be caught before deleting.
    const wrong = { ...planned, eligibleBlobs: [...planned.eligibleBlobs, filled.sharedLayerDigest] };
    expect(crossCheck(wrong, mark)).toEqual([filled.sharedLayerDigest]);
    const usedBefore = await diskUsage(dockyard.registry.storageDir);

    const collectJob = collectorJob(subject, { phase: 'collect', run: 'it1', deleteUntagged: true, activeDeadlineSeconds: 600 });
    const collected = await runCollectorAsTheJob(collectJob, local());
    expect(collected.exitCode, collected.output).toBe(0);
    expect(new Set(parseCollectorOutput(collected.output).eligibleBlobs)).toEqual(new Set(gone));
    const usedAfter = await diskUsage(dockyard.registry.storageDir);
    expect(usedBefore - usedAfter).toBeGreaterThanOrEqual(goneBytes);

    const puller = new TokenAuthClient(plan.credentials.pull.published);
    expect(await pullCompletely(door, puller, 'apps/web', filled.kept, 'current')).toEqual([]);
    expect(await pullCompletely(door, puller, 'apps/multi', filled.index, 'v1')).toEqual([]);
    expect(await verifyAfterCollection(client, mark)).toEqual([]);
  });

  it('takes a collected layer pushed again and serves it', async () => {
    const pusher = new RegistryPusher(door.url, {}, new TokenAuthClient(plan.credentials.push.published).fetch);
    const again: BuiltManifest = { ...filled.deleted };
    await pusher.pushManifest('apps/web', again, 'again');
    const puller = new TokenAuthClient(plan.credentials.pull.published);
    expect(await pullCompletely(door, puller, 'apps/web', again, 'again')).toEqual([]);
  });

  it('verification reports a kept blob that went missing', async () => {
    const config = filled.kept.blobs[0]!.digest.slice('sha256:'.length);
    await rm(join(dockyard.registry.storageDir, 'docker/registry/v2/blobs/sha256', config.slice(0, 2), config), { recursive: true });
    expect(await verifyAfterCollection(client, mark)).toEqual([`apps/web@sha256:${config}`]);
  });
});

describe.skipIf(inject('externalCluster'))('the collector on distribution 2.8 (why deleteUntagged is refused there)', () => {
  it('marks the platform manifests of a tagged index eligible for deletion', async () => {
    if (!debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    const rig = await startCollectionRig({ spec, binDir: inject('binDir'), flavor: 'distribution-2.8' });
    try {
      const filled = await fillForCollection(rig.front, rig.plan);
      const job = collectorJob(registry(spec), { phase: 'dry-run', run: 'it2', deleteUntagged: true, activeDeadlineSeconds: 600 });
      const dryRun = await runCollectorAsTheJob(job, {
        flavor: 'distribution-2.8',
        binDir: inject('binDir'),
        configFile: join(dirname(rig.replicas[0]!.dockyard.registry.storageDir), 'config.yml'),
      });
      expect(dryRun.exitCode, dryRun.output).toBe(0);
      const eligible = parseCollectorOutput(dryRun.output).eligibleManifests.map((manifest) => manifest.digest);
      for (const child of filled.index.children) expect(eligible).toContain(child.digest);
    } finally {
      await rig.stop();
    }
  });
});
