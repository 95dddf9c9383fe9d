import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { GarbageCollectionStatus, Registry } from '../../../api/v1alpha1/registry.ts';
import { RegistryClient } from '../../../oci/client.ts';
import { inventoryReadHeader } from '../../../registry-auth/pod-contract.ts';
import type { WriteGate } from '../../../registry-auth/write-gate.ts';
import { fieldManager } from '../../../runtime/apply.ts';
import type { ReconcileContext } from '../../../runtime/controller.ts';
import { isConflict, unlessNotFound } from '../../../runtime/errors.ts';
import type { KubeObject } from '../../../runtime/resource.ts';
import { readAccessCredentials, registryAccess, type AccessCredentials } from '../../common/registry-access.ts';
import {
  collectorJobName,
  collectorPhaseLabel,
  collectorRunLabel,
  componentLabel,
  containerNames,
  registryNameLabel,
  type CollectorPhase,
} from '../../common/registry-children.ts';
import { serviceAddress } from '../../common/registry-endpoints.ts';
import { components, registryIdentity } from '../builders/metadata.ts';
import { resources, targets } from '../resources.ts';
import { eligibleBlobBytes } from './blob-sizes.ts';
import { collectorJob } from './collector-job.ts';
import { CollectorOutputError, parseCollectorOutput } from './collector-output.ts';
import { describeSilentDoors, readDoors, type DoorAddress, type DoorReading } from './door-reports.ts';
import type { CollectionPorts } from './driver.ts';
import { markThroughApi, verifyAfterCollection } from './independent-mark.ts';
import { nudgeKubelets } from './kubelet-nudge.ts';
import type { JobObservation } from './sequence.ts';

/**
 * The garbage collection ports on Kubernetes, for one reconcile of one Registry. The state and
 * the gate are the reconcile's to store (`saveState` writes the Registry's status, `writeGate`
 * the auth Secret through the credentials it computed), so the Registry controller stays the one
 * writer of both; the rest is here: the doors asked at each registry Pod's IP, the collector
 * Jobs created in the Registry's namespace and read back from the cache and their Pod's log, and
 * the independent mark through the registry's Service with the maintainer identity.
 */
export interface KubePortsInputs {
  registry: Registry;
  context: ReconcileContext<KubeObject>;
  clusterDomain: string;
  state: GarbageCollectionStatus;
  saveState(state: GarbageCollectionStatus): Promise<void>;
  writeGate(gate: WriteGate | undefined): Promise<void>;
}

/** The most of a collector's log read back: its report is one line per blob (about 90 bytes), so 10,000 blobs fit many times over. */
const collectorLogLimitBytes = 32 * 1024 * 1024;

export interface KubePorts extends CollectionPorts {
  /** Closes the registry client the mark used, if any. */
  close(): Promise<void>;
}

export function kubePorts(inputs: KubePortsInputs): KubePorts {
  const { registry, context } = inputs;
  const { namespace } = registryIdentity(registry);
  let readings: DoorReading[] = [];
  let client: RegistryClient | undefined;
  let credentials: Promise<AccessCredentials> | undefined;
  const accessCredentials = () => {
    credentials ??= readAccessCredentials(registryAccess(registry, 'delete', inputs.clusterDomain), {
      cachedSecrets: context.cache(targets.secrets),
      client: context.client,
      signal: context.signal,
    });
    return credentials;
  };
  const registryClient = async (): Promise<RegistryClient> => {
    if (client !== undefined) return client;
    const access = registryAccess(registry, 'delete', inputs.clusterDomain);
    const { credentials: identity, ca } = await accessCredentials();
    client = new RegistryClient({
      url: access.url,
      credentials: identity,
      ...(ca !== undefined ? { ca } : {}),
      repositoryActions: ['pull'],
      // Dockyard's own reading is no pull: the door keeps it out of the push records' pull times.
      headers: { [inventoryReadHeader]: 'true' },
    });
    return client;
  };
  const collectorJobs = (run: string) =>
    context
      .cache<V1Job & KubeObject>(targets.collectorJobs)
      .list(namespace)
      .filter((job) => job.metadata?.labels?.[collectorRunLabel] === run);

  return {
    loadState: async () => inputs.state,
    saveState: (state) => inputs.saveState(state),
    writeGate: async (gate) => {
      await inputs.writeGate(gate);
      await nudgeKubelets(registryPods(registry, context), gate, {
        patch: (pod, patch) => context.client.patch(resources.pods, pod, 'merge', patch, { fieldManager, signal: context.signal }),
        warn: (pod, message) =>
          context.log.warn(
            { pod: pod.name },
            `could not annotate the registry Pod to refresh its auth Secret volume now; its door sees the gate at the kubelet's next sync: ${message}`,
          ),
      });
    },
    readDoors: async () => {
      const doors = registryPods(registry, context).flatMap((pod): DoorAddress[] =>
        pod.status?.podIP ? [{ pod: pod.metadata?.name ?? '', ip: pod.status.podIP }] : [],
      );
      const { ca } = registry.spec.tls !== undefined ? await accessCredentials() : {};
      readings = await readDoors(doors, {
        tls: registry.spec.tls !== undefined,
        ...(ca !== undefined ? { ca } : {}),
        serverName: serviceAddress(registry, { clusterDomain: inputs.clusterDomain }).host,
      });
      return readings.map((reading) => reading.report);
    },
    describeDoors: () => (readings.length === 0 ? 'no registry Pod has an IP address to ask' : describeSilentDoors(readings)),
    observeJob: (run, phase) => observeJob(registry, context, run, phase),
    createJob: async (run, phase, deleteUntagged, deadline) => {
      const job = collectorJob(registry, {
        phase,
        run,
        deleteUntagged,
        ...nodeOfVolume(registry, context),
        activeDeadlineSeconds: (deadline.getTime() - Date.now()) / 1000,
      });
      try {
        await context.client.create(resources.jobs, job, { fieldManager, fieldValidation: 'Strict', signal: context.signal });
        context.log.info({ job: job.metadata?.name }, 'created the collector Job');
      } catch (error) {
        // Created by an earlier pass whose Job the cache did not show yet: the same run, the same Job.
        if (!isConflict(error)) throw error;
      }
    },
    stopJobs: async (run) => {
      for (const job of collectorJobs(run)) {
        if (job.status?.completionTime !== undefined) continue;
        await unlessNotFound(
          context.client.delete(resources.jobs, { namespace, name: job.metadata?.name ?? '' }, { propagationPolicy: 'Background', signal: context.signal }),
        );
        context.log.info({ job: job.metadata?.name }, 'deleted the collector Job of a run that ended');
      }
    },
    mark: async () => markThroughApi(await registryClient()),
    measureBlobs: async (blobs, mark) => eligibleBlobBytes(await registryClient(), blobs, mark),
    verify: async (before) => verifyAfterCollection(await registryClient(), before),
    close: async () => {
      await client?.close();
      client = undefined;
    },
  };
}

/** The registry's own Pods (not the collectors'), from the cache, that are not finished. */
export function registryPods(registry: Registry, context: Pick<ReconcileContext<KubeObject>, 'cache'>): Array<V1Pod & KubeObject> {
  const { name, namespace } = registryIdentity(registry);
  return context
    .cache<V1Pod & KubeObject>(targets.pods)
    .list(namespace)
    .filter((pod) => {
      const labels = pod.metadata?.labels ?? {};
      return (
        labels[registryNameLabel] === name &&
        labels[componentLabel] === components.registry &&
        pod.status?.phase !== 'Succeeded' &&
        pod.status?.phase !== 'Failed'
      );
    });
}

/** A ReadWriteOnce claim is attached to one node: the collector goes where the registry Pod runs. */
function nodeOfVolume(registry: Registry, context: Pick<ReconcileContext<KubeObject>, 'cache'>): { nodeName?: string } {
  const claim = registry.spec.storage?.persistentVolumeClaim;
  if (claim === undefined || claim.accessMode === 'ReadWriteMany') return {};
  const nodeName = registryPods(registry, context).find((pod) => pod.spec?.nodeName !== undefined && pod.metadata?.deletionTimestamp === undefined)?.spec
    ?.nodeName;
  if (nodeName === undefined) {
    throw new Error('no registry Pod is on a node, so the node of its ReadWriteOnce volume is unknown; the collector Job waits for one');
  }
  return { nodeName };
}

async function observeJob(registry: Registry, context: ReconcileContext<KubeObject>, run: string, phase: CollectorPhase): Promise<JobObservation> {
  const { name, namespace } = registryIdentity(registry);
  const jobName = collectorJobName(name, run, phase);
  const job = context.cache<V1Job & KubeObject>(targets.collectorJobs).get(`${namespace}/${jobName}`);
  if (job === undefined) return { state: 'absent' };
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((condition) => condition.type === 'Failed' && condition.status === 'True');
  const pod = context
    .cache<V1Pod & KubeObject>(targets.pods)
    .list(namespace)
    .find((candidate) => candidate.metadata?.labels?.[collectorRunLabel] === run && candidate.metadata?.labels?.[collectorPhaseLabel] === phase);
  if (failed !== undefined) {
    const terminated = pod?.status?.containerStatuses?.find((status) => status.name === containerNames.collector)?.state?.terminated;
    const exit = terminated !== undefined ? `; the collector exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}` : '';
    return { state: 'failed', message: `Job ${jobName} failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim() + exit };
  }
  const complete = conditions.some((condition) => condition.type === 'Complete' && condition.status === 'True');
  if (!complete) return { state: 'running' };
  if (pod?.metadata?.name === undefined) return { state: 'unreadable', message: `the Pod of Job ${jobName} is gone, and its log with it` };
  let log: string;
  try {
    log = await context.client.podLog(
      { namespace, name: pod.metadata.name },
      { container: containerNames.collector, limitBytes: collectorLogLimitBytes, signal: context.signal },
    );
  } catch (error) {
    return { state: 'unreadable', message: `the log of Pod ${pod.metadata.name} could not be read: ${(error as Error).message}`.slice(0, 500) };
  }
  try {
    return { state: 'succeeded', report: parseCollectorOutput(log) };
  } catch (error) {
    if (!(error instanceof CollectorOutputError)) throw error;
    return { state: 'unreadable', message: `Pod ${pod.metadata.name}: ${error.message}` };
  }
}
