import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { MarkMemory } from '../../../src/controllers/registry/garbage-collection/driver.ts';
import { writeGatePath } from '../../../src/registry-auth/pod-contract.ts';
import { WriteGateReport } from '../../../src/registry-auth/write-gate.ts';
import { diskUsage } from '../../registry/collector.ts';
import { collectable, fillForCollection, type GarbageFixture, pullCompletely, storedBytes } from '../../registry/gc-fixtures.ts';
import { buildImage } from '../../registry/images.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';
import { ClusterState, drive, type LocalCollectionRig, localPorts, startCollectionRig } from '../../registry/gc-local-ports.ts';

// Issue 14, acceptance: the whole sequence (gate, dry run, cross-check, collect, verify, lift)
// as the operator drives it (advanceCollection), on real parts: distribution 3.0.0 behind the
// real door, the gate written where kubelet puts the auth Secret, the collector run with its
// Job's own args and env. Meanwhile one loop pulls every surviving tag and another pushes.
const spec = { storage: { persistentVolumeClaim: { size: '1Gi' } }, garbageCollection: { schedule: '0 4 * * *', deleteUntagged: true } };

interface Rig extends LocalCollectionRig {
  fixture: GarbageFixture;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

async function startRig(): Promise<Rig> {
  const started = await startCollectionRig({ spec, binDir: inject('binDir') });
  try {
    rig = { ...started, fixture: await fillForCollection(started.front, started.plan) };
  } catch (error) {
    await started.stop();
    throw error;
  }
  return rig;
}

describe.skipIf(inject('externalCluster'))('the garbage collection sequence (distribution-3, real door)', () => {
  it('never fails a pull, refuses pushes with the maintenance message only while gated, frees the space and keeps every tag whole', async () => {
    const current = await startRig();
    const { front: door, plan, fixture } = current;
    const { dockyard } = current.replicas[0]!;
    const cluster = new ClusterState();
    const usedBefore = await diskUsage(dockyard.registry.storageDir);
    const puller = new TokenAuthClient(plan.credentials.pull.published);
    const pushClient = new TokenAuthClient(plan.credentials.push.published);
    let stop = false;
    const pullFailures: string[] = [];
    const pullTimes: number[] = [];
    const pullLoop = (async () => {
      while (!stop) {
        pullFailures.push(...(await pullCompletely(door, puller, 'apps/web', fixture.kept, 'current')));
        pullFailures.push(...(await pullCompletely(door, puller, 'apps/multi', fixture.index, 'v1')));
        pullTimes.push(Date.now());
      }
    })();
    const pushes: { at: number; outcome: 'accepted' | 'maintenance' | string; bytes: number }[] = [];
    const pushLoop = (async () => {
      let index = 0;
      while (!stop) {
        const image = buildImage();
        const bytes = storedBytes(image);
        try {
          await new RegistryPusher(door.url, {}, pushClient.fetch).pushManifest('apps/ci', image, `build-${index++}`);
          pushes.push({ at: Date.now(), outcome: 'accepted', bytes });
        } catch (error) {
          const message = (error as Error).message;
          pushes.push({ at: Date.now(), outcome: /HTTP 403 .*DENIED.*maintenance \(garbage collection\)/.test(message) ? 'maintenance' : message, bytes: 0 });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));

    let lifted = 0;
    try {
      await drive(localPorts(current, cluster), cluster, new MarkMemory());
      lifted = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      // The loops end before the registry stops, failed or not.
      stop = true;
      await Promise.all([pullLoop, pushLoop]);
    }

    const lastRun = cluster.status.lastRun!;
    console.log(
      `sequence: write gate ${lastRun.writeGateSeconds} s, dry run ${cluster.collectorSeconds['dry-run']?.toFixed(2)} s, collect ${cluster.collectorSeconds['collect']?.toFixed(2)} s; ${pullTimes.length} complete pulls, ${pushes.length} push attempts`,
    );
    expect(lastRun).toMatchObject({ outcome: 'Succeeded' });
    expect(Object.keys(lastRun.phaseSeconds ?? {})).toEqual(['gating', 'dryRun', 'collecting', 'lifting']);
    expect(pullFailures).toEqual([]);
    const gateStart = Date.parse(lastRun.startTime);
    // Pulls went on while the gate stood, not only around it.
    expect(pullTimes.filter((time) => time > gateStart && time < lifted).length).toBeGreaterThan(0);
    expect(pushes.filter((push) => push.outcome !== 'accepted' && push.outcome !== 'maintenance')).toEqual([]);
    expect(pushes.some((push) => push.outcome === 'maintenance')).toBe(true);
    // Refusals only within the gate; acceptances after it.
    for (const push of pushes.filter((candidate) => candidate.outcome === 'maintenance')) {
      expect(push.at).toBeGreaterThanOrEqual(gateStart - 50);
      expect(push.at).toBeLessThanOrEqual(lifted + 3_000);
    }
    expect(pushes.some((push) => push.outcome === 'accepted' && push.at > lifted)).toBe(true);

    const { digests, bytes } = collectable(fixture);
    expect(lastRun.blobsDeleted).toBeGreaterThanOrEqual(digests.length);
    expect(lastRun.manifestsDeleted).toBe(1);
    const usedAfter = await diskUsage(dockyard.registry.storageDir);
    // New pushes went on before and after the gate; the collected bytes show net of them.
    const pushedBytes = pushes.reduce((sum, push) => sum + push.bytes, 0);
    expect(usedBefore + pushedBytes - usedAfter).toBeGreaterThanOrEqual(bytes);
    // The sizes the registry reported for the eligible layers and configs: the collected images'
    // own, less their manifests (which no repository serves as blobs any more).
    const manifestBytes = fixture.deleted.bytes.length + fixture.untagged.bytes.length;
    expect(lastRun.bytesReclaimed).toBeGreaterThanOrEqual(bytes - manifestBytes);
    expect(lastRun.bytesReclaimed).toBeLessThanOrEqual(usedBefore + pushedBytes - usedAfter);

    expect(await pullCompletely(door, puller, 'apps/multi', fixture.index, 'v1')).toEqual([]);
    const again = { ...fixture.deleted };
    await new RegistryPusher(door.url, {}, pushClient.fetch).pushManifest('apps/web', again, 'again');
    expect(await pullCompletely(door, puller, 'apps/web', again, 'again')).toEqual([]);
  });

  it('lifts the gate and reports Failed when the collector fails', async () => {
    const current = await startRig();
    const cluster = new ClusterState();
    await drive(localPorts(current, cluster, { breakCollector: true }), cluster, new MarkMemory());
    expect(cluster.status.lastRun).toMatchObject({ outcome: 'Failed' });
    expect(cluster.status.lastRun?.message).toContain('the collector failed');
    const report = WriteGateReport.parse(await (await fetch(`${current.front.url}${writeGatePath}`)).json());
    expect(report.gateId).toBeNull();
    await new RegistryPusher(current.front.url, {}, new TokenAuthClient(current.plan.credentials.push.published).fetch).pushManifest(
      'apps/ci',
      buildImage(),
      'after',
    );
  });

  it('reports Failed and lifts the gate when a blob a tag needs is gone after the collection', async () => {
    const current = await startRig();
    const cluster = new ClusterState();
    const ports = localPorts(current, cluster);
    const config = current.fixture.kept.blobs[0]!.digest.slice('sha256:'.length);
    await drive(
      {
        ...ports,
        // A storage that lost a kept blob during the collection: the verification, not the collector, must notice.
        verify: async (before) => {
          await rm(join(current.replicas[0]!.dockyard.registry.storageDir, 'docker/registry/v2/blobs/sha256', config.slice(0, 2), config), { recursive: true });
          return ports.verify(before);
        },
      },
      cluster,
      new MarkMemory(),
    );
    expect(cluster.status.lastRun).toMatchObject({ outcome: 'Failed' });
    expect(cluster.status.lastRun?.message).toContain(`apps/web@sha256:${config}`);
    const report = WriteGateReport.parse(await (await fetch(`${current.front.url}${writeGatePath}`)).json());
    expect(report.gateId).toBeNull();
  });

  it('resumes where the status says after an operator restart mid-sequence, and ends with every tag whole', async () => {
    const current = await startRig();
    const cluster = new ClusterState();
    // The first operator stops once the collector Job was created.
    await drive(localPorts(current, cluster), cluster, new MarkMemory(), (status) => status.current?.phase === 'Collecting');
    expect(cluster.status.current?.phase).toBe('Collecting');
    // A new operator: new ports, no memory of the mark; the cluster (status, Jobs) is what it finds.
    await drive(localPorts(current, cluster), cluster, new MarkMemory());
    expect(cluster.status.lastRun).toMatchObject({ outcome: 'Succeeded' });
    expect(cluster.status.current).toBeUndefined();
    const puller = new TokenAuthClient(current.plan.credentials.pull.published);
    expect(await pullCompletely(current.front, puller, 'apps/web', current.fixture.kept, 'current')).toEqual([]);
    expect(await pullCompletely(current.front, puller, 'apps/multi', current.fixture.index, 'v1')).toEqual([]);
  });
});
