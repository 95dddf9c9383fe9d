import { dirname, join } from 'node:path';
import { RegistryStatus, type GarbageCollectionStatus } from '../../src/api/v1alpha1/registry.ts';
import { collectorJobName, type CollectorPhase } from '../../src/controllers/common/registry-children.ts';
import { eligibleBlobBytes } from '../../src/controllers/registry/garbage-collection/blob-sizes.ts';
import { collectorJob } from '../../src/controllers/registry/garbage-collection/collector-job.ts';
import { parseCollectorOutput } from '../../src/controllers/registry/garbage-collection/collector-output.ts';
import { advanceCollection, type CollectionPorts, type MarkMemory } from '../../src/controllers/registry/garbage-collection/driver.ts';
import { markThroughApi, verifyAfterCollection } from '../../src/controllers/registry/garbage-collection/independent-mark.ts';
import type { JobObservation } from '../../src/controllers/registry/garbage-collection/sequence.ts';
import type { RegistryClient } from '../../src/oci/client.ts';
import { writeGatePath } from '../../src/registry-auth/pod-contract.ts';
import { WriteGateReport } from '../../src/registry-auth/write-gate.ts';
import { runCollectorAsTheJob } from './collector.ts';
import type { DockyardRegistry, RunningAuthServer } from './dockyard-registry.ts';
import { registry } from '../support/registries.ts';

/**
 * The garbage collection sequence's ports (controllers/registry/garbage-collection/driver.ts) as
 * the Registry controller implements them, on local processes instead of Kubernetes: the gate
 * written into the auth Secret volume (as kubelet would after the operator updated the Secret),
 * the door asked over loopback, each collector Job run here with its own args and env.
 */
export interface LocalCollectionRig {
  dockyard: DockyardRegistry;
  door: RunningAuthServer;
  /** A maintainer's client through the door. */
  client: RegistryClient;
  spec: Record<string, unknown>;
  binDir: string;
}

/** What the apiserver keeps across an operator restart: the status and the Jobs (here: their outcomes). */
export class ClusterState {
  status: GarbageCollectionStatus = {};
  readonly jobs = new Map<string, Promise<JobObservation> | JobObservation>();
  collectorSeconds: Record<string, number> = {};
}

/** The ports as the Registry controller implements them, on local processes. `breakCollector` makes the real run fail as a broken storage would. */
export function localPorts(current: LocalCollectionRig, cluster: ClusterState, options: { breakCollector?: boolean } = {}): CollectionPorts {
  const subject = registry(current.spec);
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
        binDir: current.binDir,
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
    measureBlobs: (blobs, mark) => eligibleBlobBytes(current.client, blobs, mark),
    verify: (before) => verifyAfterCollection(current.client, before),
  };
}

export const runNowSettings = (runNowRequest: string) => ({
  spec: { deleteUntagged: true, suspend: false, maxReadOnlySeconds: 300 },
  scheduledAt: new Date(Date.now() + 86_400_000),
  runNowRequest,
  problem: undefined,
  newRunId: () => Math.random().toString(36).slice(2, 8),
});

/** Drives the sequence until the run has ended (or `stopWhen` says so), as the reconcile's requeues would. */
export async function drive(
  ports: CollectionPorts,
  cluster: ClusterState,
  memory: MarkMemory,
  stopWhen?: (status: GarbageCollectionStatus) => boolean,
): Promise<void> {
  const deadline = Date.now() + 900_000;
  for (;;) {
    const result = await advanceCollection(ports, runNowSettings('run-1'), new Date(), memory);
    if (stopWhen?.(cluster.status)) return;
    if (result.state.current === undefined && result.state.lastRun !== undefined) return;
    if (Date.now() > deadline) throw new Error(`the sequence did not end: ${JSON.stringify(cluster.status)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(result.requeueAfterMs ?? 100, 100)));
  }
}
