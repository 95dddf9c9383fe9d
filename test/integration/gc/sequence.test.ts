import { dirname, join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { RegistrySpec, RegistryStatus, type GarbageCollectionStatus } from '../../../src/api/v1alpha1/registry.ts';
import { collectorJobName, type CollectorPhase } from '../../../src/controllers/common/registry-children.ts';
import { collectorJob } from '../../../src/controllers/registry/garbage-collection/collector-job.ts';
import { parseCollectorOutput } from '../../../src/controllers/registry/garbage-collection/collector-output.ts';
import { advanceCollection, type CollectionPorts, MarkMemory } from '../../../src/controllers/registry/garbage-collection/driver.ts';
import { markThroughApi, verifyAfterCollection } from '../../../src/controllers/registry/garbage-collection/independent-mark.ts';
import type { JobObservation } from '../../../src/controllers/registry/garbage-collection/sequence.ts';
import { RegistryClient } from '../../../src/oci/client.ts';
import { planCredentials, type CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import { writeGatePath } from '../../../src/registry-auth/pod-contract.ts';
import { WriteGateReport } from '../../../src/registry-auth/write-gate.ts';
import { diskUsage, runCollectorAsTheJob } from '../../registry/collector.ts';
import { DockyardRegistry, type RunningAuthServer } from '../../registry/dockyard-registry.ts';
import { collectable, fillForCollection, type GarbageFixture, pullCompletely } from '../../registry/gc-fixtures.ts';
import { buildImage } from '../../registry/images.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';
import { registry } from '../../support/registries.ts';

// Issue 14, acceptance: the whole sequence (gate, dry run, cross-check, collect, verify, lift)
// as the operator drives it (advanceCollection), on real parts: distribution 3.0.0 behind the
// real door, the gate written where kubelet puts the auth Secret, the collector run with its
// Job's own args and env. Meanwhile one loop pulls every surviving tag and another pushes.
const spec = { storage: { persistentVolumeClaim: { size: '1Gi' } }, garbageCollection: { schedule: '0 4 * * *', deleteUntagged: true } };

interface Rig {
  dockyard: DockyardRegistry;
  door: RunningAuthServer;
  plan: CredentialPlan;
  fixture: GarbageFixture;
  client: RegistryClient;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.client.close();
  await rig?.dockyard.stop();
  rig = undefined;
});

async function startRig(): Promise<Rig> {
  const plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
  const dockyard = await DockyardRegistry.start({
    flavor: 'distribution-3',
    binDir: inject('binDir'),
    spec: RegistrySpec.parse(spec),
    namespace: 'team-a',
    name: 'main',
    credentials: plan,
  });
  const door = await dockyard.startAuthServer();
  const fixture = await fillForCollection(door, plan);
  const client = new RegistryClient({ url: door.url, credentials: plan.credentials.maintainer.published });
  rig = { dockyard, door, plan, fixture, client };
  return rig;
}

/** What the apiserver keeps across an operator restart: the status and the Jobs (here: their outcomes). */
class ClusterState {
  status: GarbageCollectionStatus = {};
  readonly jobs = new Map<string, Promise<JobObservation> | JobObservation>();
  collectorSeconds: Record<string, number> = {};
}

/** The ports as the Registry controller implements them, on local processes. `breakCollector` makes the real run fail as a broken storage would. */
function localPorts(current: Rig, cluster: ClusterState, options: { breakCollector?: boolean } = {}): CollectionPorts {
  const subject = registry(spec);
  const configFile = join(dirname(current.dockyard.registry.storageDir), 'config.yml');
  return {
    loadState: async () => cluster.status,
    saveState: async (state) => {
      // Through the status schema, as the apiserver would store it.
      cluster.status = RegistryStatus.parse(JSON.parse(JSON.stringify({ garbageCollection: state }))).garbageCollection ?? {};
    },
    writeGate: async (gate) => current.dockyard.setWriteGate(gate),
    readDoors: async () => {
      try {
        return [WriteGateReport.parse(await (await fetch(`${current.door.url}${writeGatePath}`)).json())];
      } catch {
        return [undefined];
      }
    },
    observeJob: async (run, phase) => {
      const job = cluster.jobs.get(collectorJobName('main', run, phase));
      if (job === undefined) return { state: 'absent' };
      if (job instanceof Promise) return { state: 'running' };
      return job;
    },
    createJob: async (run, phase: CollectorPhase, deleteUntagged, deadline) => {
      const name = collectorJobName('main', run, phase);
      if (cluster.jobs.has(name)) return;
      const job = collectorJob(subject, { phase, run, deleteUntagged, activeDeadlineSeconds: (deadline.getTime() - Date.now()) / 1000 });
      const broken = options.breakCollector === true && phase === 'collect';
      const running = runCollectorAsTheJob(job, {
        flavor: 'distribution-3',
        binDir: inject('binDir'),
        configFile: broken ? `${configFile}.missing` : configFile,
      }).then((result): JobObservation => {
        cluster.collectorSeconds[phase] = result.seconds;
        if (result.exitCode !== 0) return { state: 'failed', message: `exit code ${result.exitCode}: ${result.output.slice(-200)}` };
        try {
          return { state: 'succeeded', report: parseCollectorOutput(result.output) };
        } catch (error) {
          return { state: 'unreadable', message: (error as Error).message };
        }
      });
      cluster.jobs.set(name, running);
      void running.then((outcome) => cluster.jobs.set(name, outcome));
    },
    stopJobs: async () => undefined,
    mark: () => markThroughApi(current.client),
    verify: (before) => verifyAfterCollection(current.client, before),
  };
}

const settings = (runNowRequest: string) => ({
  spec: { deleteUntagged: true, suspend: false, maxReadOnlySeconds: 300 },
  scheduledAt: new Date(Date.now() + 86_400_000),
  runNowRequest,
  problem: undefined,
  newRunId: () => Math.random().toString(36).slice(2, 8),
});

/** Drives the sequence until the run has ended (or `stopWhen` says so), as the reconcile's requeues would. */
async function drive(
  ports: CollectionPorts,
  cluster: ClusterState,
  memory: MarkMemory,
  stopWhen?: (status: GarbageCollectionStatus) => boolean,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const result = await advanceCollection(ports, settings('run-1'), new Date(), memory);
    if (stopWhen?.(cluster.status)) return;
    if (result.state.current === undefined && result.state.lastRun !== undefined) return;
    if (Date.now() > deadline) throw new Error(`the sequence did not end: ${JSON.stringify(cluster.status)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(result.requeueAfterMs ?? 100, 100)));
  }
}

describe.skipIf(inject('externalCluster'))('the garbage collection sequence (distribution-3, real door)', () => {
  it('never fails a pull, refuses pushes with the maintenance message only while gated, frees the space and keeps every tag whole', async () => {
    const current = await startRig();
    const { door, plan, fixture } = current;
    const cluster = new ClusterState();
    const usedBefore = await diskUsage(current.dockyard.registry.storageDir);
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
        // What the push stores: the manifest and blobs, and a 71-byte link file (`sha256:<hex>`)
        // for each blob in the repository, for the revision, and for the tag's current and index.
        const bytes = image.bytes.length + image.blobs.reduce((sum, blob) => sum + blob.bytes.length, 0) + 71 * (image.blobs.length + 3);
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
    const usedAfter = await diskUsage(current.dockyard.registry.storageDir);
    // New pushes went on before and after the gate; the collected bytes show net of them.
    const pushedBytes = pushes.reduce((sum, push) => sum + push.bytes, 0);
    expect(usedBefore + pushedBytes - usedAfter).toBeGreaterThanOrEqual(bytes);

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
    const report = WriteGateReport.parse(await (await fetch(`${current.door.url}${writeGatePath}`)).json());
    expect(report.gateId).toBeNull();
    await new RegistryPusher(current.door.url, {}, new TokenAuthClient(current.plan.credentials.push.published).fetch).pushManifest(
      'apps/ci',
      buildImage(),
      'after',
    );
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
    expect(await pullCompletely(current.door, puller, 'apps/web', current.fixture.kept, 'current')).toEqual([]);
    expect(await pullCompletely(current.door, puller, 'apps/multi', current.fixture.index, 'v1')).toEqual([]);
  });
});
