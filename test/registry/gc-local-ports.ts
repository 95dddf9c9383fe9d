import { dirname, join } from 'node:path';
import { RegistrySpec, RegistryStatus, type GarbageCollectionStatus } from '../../src/api/v1alpha1/registry.ts';
import { childNames, collectorJobName, type CollectorPhase } from '../../src/controllers/common/registry-children.ts';
import { eligibleBlobBytes } from '../../src/controllers/registry/garbage-collection/blob-sizes.ts';
import { collectorJob } from '../../src/controllers/registry/garbage-collection/collector-job.ts';
import { parseCollectorOutput } from '../../src/controllers/registry/garbage-collection/collector-output.ts';
import { advanceCollection, type CollectionPorts, type MarkMemory } from '../../src/controllers/registry/garbage-collection/driver.ts';
import { markThroughApi, verifyAfterCollection } from '../../src/controllers/registry/garbage-collection/independent-mark.ts';
import type { JobObservation } from '../../src/controllers/registry/garbage-collection/sequence.ts';
import { RegistryClient } from '../../src/oci/client.ts';
import { planCredentials, type CredentialPlan } from '../../src/registry-auth/credential-plan.ts';
import { writeGatePath } from '../../src/registry-auth/pod-contract.ts';
import { WriteGateReport } from '../../src/registry-auth/write-gate.ts';
import { LoopbackProxy } from '../support/loopback-proxy.ts';
import { registry } from '../support/registries.ts';
import { runCollectorAsTheJob } from './collector.ts';
import { DockyardRegistry, type RunningAuthServer } from './dockyard-registry.ts';
import type { RegistryFlavor } from './local-registry.ts';

/**
 * The garbage collection sequence's ports (controllers/registry/garbage-collection/driver.ts) as
 * the Registry controller implements them, on local processes instead of Kubernetes: the gate
 * written into each replica's auth Secret volume (as kubelet would after the operator updated the
 * Secret), each door asked over loopback, each collector Job run here with its own args and env.
 */
export interface CollectionReplica {
  dockyard: DockyardRegistry;
  door: RunningAuthServer;
}

export interface LocalCollectionRig {
  /** The Registry's Pods: a registry process behind its own door each, all on one storage. */
  replicas: CollectionReplica[];
  /** Where clients go: the one door, or a round-robin proxy in front of every door (the Service). */
  front: { url: string };
  /** A maintainer's client through the front. */
  client: RegistryClient;
  plan: CredentialPlan;
  flavor: RegistryFlavor;
  name: string;
  spec: Record<string, unknown>;
  binDir: string;
  /** The user's Secrets the spec names (S3 credentials), by name: where the collector's env comes from. */
  userSecrets: Record<string, Record<string, string>>;
  stop(): Promise<void>;
}

export interface CollectionRigOptions {
  spec: Record<string, unknown>;
  binDir: string;
  flavor?: RegistryFlavor;
  /** More than one needs shared storage (s3): the replicas share the auth Secret, as Pods of one Registry do. */
  replicas?: number;
  userSecrets?: Record<string, Record<string, string>>;
}

/** A Registry `main` in `team-a` as Dockyard runs it, with fresh credentials, ready to be filled and collected. */
export async function startCollectionRig(options: CollectionRigOptions): Promise<LocalCollectionRig> {
  const name = 'main';
  const flavor = options.flavor ?? 'distribution-3';
  const userSecrets = options.userSecrets ?? {};
  const plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
  const stopping: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stopping.reverse()) await step();
  };
  try {
    const replicas: CollectionReplica[] = [];
    for (let index = 0; index < (options.replicas ?? 1); index++) {
      const dockyard = await DockyardRegistry.start({
        flavor,
        binDir: options.binDir,
        spec: RegistrySpec.parse(options.spec),
        namespace: 'team-a',
        name,
        credentials: plan,
        userSecrets,
        ...(replicas[0] !== undefined ? { sharedAuthSecret: replicas[0].dockyard.authSecretData } : {}),
      });
      stopping.push(() => dockyard.stop());
      replicas.push({ dockyard, door: await dockyard.startAuthServer() });
    }
    let front: { url: string } = replicas[0]!.door;
    if (replicas.length > 1) {
      const proxy = await LoopbackProxy.start(replicas.map((replica) => replica.door.url));
      stopping.push(() => proxy.stop());
      front = proxy;
    }
    const client = new RegistryClient({ url: front.url, credentials: plan.credentials.maintainer.published });
    stopping.push(() => client.close());
    return { replicas, front, client, plan, flavor, name, spec: options.spec, binDir: options.binDir, userSecrets, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What the apiserver keeps across an operator restart: the status and the Jobs (here: their outcomes). */
export class ClusterState {
  status: GarbageCollectionStatus = {};
  readonly jobs = new Map<string, Promise<JobObservation> | JobObservation>();
  collectorSeconds: Record<string, number> = {};
}

/** The ports as the Registry controller implements them, on local processes. `breakCollector` makes the real run fail as a broken storage would. */
export function localPorts(current: LocalCollectionRig, cluster: ClusterState, options: { breakCollector?: boolean } = {}): CollectionPorts {
  const subject = registry(current.spec, { name: current.name });
  // The collector Job mounts the config Secret every replica mounts; any replica's file is it.
  const first = current.replicas[0]!.dockyard;
  const configFile = join(dirname(first.registry.storageDir), 'config.yml');
  const secrets = { ...current.userSecrets, [childNames(current.name).auth]: first.authSecretData };
  return {
    loadState: async () => cluster.status,
    saveState: async (state) => {
      // Through the status schema, as the apiserver would store it.
      cluster.status = RegistryStatus.parse(JSON.parse(JSON.stringify({ garbageCollection: state }))).garbageCollection ?? {};
    },
    writeGate: async (gate) => {
      for (const replica of current.replicas) replica.dockyard.setWriteGate(gate);
    },
    readDoors: () =>
      Promise.all(
        current.replicas.map(async ({ door }) => {
          try {
            return WriteGateReport.parse(await (await fetch(`${door.url}${writeGatePath}`)).json());
          } catch {
            return undefined;
          }
        }),
      ),
    observeJob: async (run, phase) => {
      const job = cluster.jobs.get(collectorJobName(current.name, run, phase));
      if (job === undefined) return { state: 'absent' };
      if (job instanceof Promise) return { state: 'running' };
      return job;
    },
    createJob: async (run, phase: CollectorPhase, deleteUntagged, deadline) => {
      const name = collectorJobName(current.name, run, phase);
      if (cluster.jobs.has(name)) return;
      const job = collectorJob(subject, { phase, run, deleteUntagged, activeDeadlineSeconds: (deadline.getTime() - Date.now()) / 1000 });
      const broken = options.breakCollector === true && phase === 'collect';
      const running = runCollectorAsTheJob(job, {
        flavor: current.flavor,
        binDir: current.binDir,
        configFile: broken ? `${configFile}.missing` : configFile,
        secrets,
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
