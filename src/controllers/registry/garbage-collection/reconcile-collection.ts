import { randomBytes } from 'node:crypto';
import { Registry, type GarbageCollectionStatus } from '../../../api/v1alpha1/registry.ts';
import type { WriteGate } from '../../../registry-auth/write-gate.ts';
import type { ReconcileContext } from '../../../runtime/controller.ts';
import type { KubeObject } from '../../../runtime/resource.ts';
import { registryIdentity } from '../builders/metadata.ts';
import { resources } from '../resources.ts';
import { collectionProblem } from './collection-problems.ts';
import { advanceCollection, MarkMemory, type AdvanceResult } from './driver.ts';
import { kubePorts } from './kube-ports.ts';
import { collectionSpec, runNowDecision, scheduledCollectionAt } from './schedule.ts';
import type { LastRun } from './sequence.ts';

/**
 * The Registry controller's side of garbage collection: the durable state read where it is
 * current, the run-now annotation and the schedule turned into the sequence's settings, one step
 * of the sequence (driver.ts) on the Kubernetes ports, and the Events that say what happened.
 */

/** The marks taken at the cross-check, per Registry, kept for the verification after the collection. */
export class CollectionMemory {
  private readonly marks = new Map<string, MarkMemory>();
  of(key: string): MarkMemory {
    let memory = this.marks.get(key);
    if (memory === undefined) {
      memory = new MarkMemory();
      this.marks.set(key, memory);
    }
    return memory;
  }
  forget(key: string): void {
    this.marks.delete(key);
  }
}

/**
 * The Registry with the status as the apiserver holds it now, when garbage collection is in play.
 * The cache can lag behind the status this controller wrote a moment ago (a requeue after 200 ms
 * may run before the watch event arrives), and a run started twice from a stale state would be
 * two runs: so the state is read afresh whenever a run is configured or under way.
 */
export async function withCurrentCollectionState(registry: Registry, context: ReconcileContext<KubeObject>): Promise<Registry> {
  if (registry.spec.garbageCollection === undefined && registry.status?.garbageCollection?.current === undefined) return registry;
  const { name, namespace } = registryIdentity(registry);
  const live = Registry.safeParse(await context.client.get(resources.registries, { namespace, name }, context.signal));
  return live.success ? { ...registry, status: live.data.status } : registry;
}

export interface CollectionPass {
  state: GarbageCollectionStatus;
  requeueAfterMs: number | undefined;
}

export interface CollectionPassInputs {
  registry: Registry;
  context: ReconcileContext<KubeObject>;
  clusterDomain: string;
  memory: CollectionMemory;
  /** Writes the whole status with this garbage collection state, before the action it precedes. */
  saveState(state: GarbageCollectionStatus): Promise<void>;
  /** Puts the gate into the auth Secret, through the credentials this reconcile computed. */
  writeGate(gate: WriteGate | undefined): Promise<void>;
}

export async function collectGarbage(inputs: CollectionPassInputs): Promise<CollectionPass> {
  const { registry, context } = inputs;
  const now = new Date();
  let state: GarbageCollectionStatus = registry.status?.garbageCollection ?? {};
  if (registry.spec.garbageCollection === undefined && state.current === undefined) return { state, requeueAfterMs: undefined };

  const decision = runNowDecision(registry, state);
  if (decision.kind === 'refuse') {
    state = { ...state, handledRunNowRequest: decision.request };
    await inputs.saveState(state);
    context.recordEvent({ type: 'Warning', reason: 'GarbageCollectionRunNowRefused', action: 'CollectGarbage', note: decision.message });
  }
  const problem = collectionProblem(registry);
  const ports = kubePorts({ registry, context, clusterDomain: inputs.clusterDomain, state, saveState: inputs.saveState, writeGate: inputs.writeGate });
  let result: AdvanceResult;
  try {
    result = await advanceCollection(
      ports,
      {
        spec: collectionSpec(registry),
        scheduledAt: scheduledCollectionAt(registry, state, now),
        runNowRequest: decision.kind === 'start' ? decision.request : undefined,
        problem,
        newRunId: () => randomBytes(5).toString('hex'),
      },
      now,
      inputs.memory.of(`${registry.metadata.namespace}/${registry.metadata.name}`),
    );
  } finally {
    await ports.close();
  }
  recordStep(context, result);
  const nextRunTime = result.state.nextRunTime;
  const untilNextRun = result.state.current === undefined && nextRunTime !== undefined ? Math.max(1_000, Date.parse(nextRunTime) - Date.now()) : undefined;
  return { state: result.state, requeueAfterMs: result.requeueAfterMs ?? untilNextRun };
}

function recordStep(context: ReconcileContext<KubeObject>, result: AdvanceResult): void {
  const { step, state } = result;
  switch (step.kind) {
    case 'start': {
      const current = state.current!;
      const note = `run ${current.run}: pushes and deletes are refused until it ends, at ${current.gateUntil} at the latest`;
      context.recordEvent({ type: 'Normal', reason: 'GarbageCollectionStarted', action: 'CollectGarbage', note });
      context.log.info({ run: current.run, gateUntil: current.gateUntil }, 'started a garbage collection: the write gate goes up');
      return;
    }
    case 'skip':
      context.recordEvent({ type: 'Warning', reason: 'GarbageCollectionSkipped', action: 'CollectGarbage', note: step.message.slice(0, 1000) });
      return;
    case 'decide':
      context.log.info({ run: state.current?.run, outcome: step.outcome, message: step.message }, 'decided the garbage collection run; lifting the write gate');
      return;
    case 'finish':
      recordFinish(context, step.lastRun);
      return;
    case 'createJob':
      context.log.info({ run: state.current?.run, phase: step.phase }, 'the collector Job of this phase is wanted');
      return;
    default:
      return;
  }
}

function recordFinish(context: ReconcileContext<KubeObject>, lastRun: LastRun): void {
  const phases = Object.entries(lastRun.phaseSeconds ?? {}).map(([phase, seconds]) => `${phase} ${seconds} s`);
  const gate = `write gate ${lastRun.writeGateSeconds ?? 0} s${phases.length > 0 ? ` (${phases.join(', ')})` : ''}`;
  if (lastRun.outcome === 'Succeeded') {
    const bytes = lastRun.bytesReclaimed !== undefined ? `, ${lastRun.bytesReclaimed} bytes` : '';
    const note = `deleted ${lastRun.blobsDeleted ?? 0} blobs and ${lastRun.manifestsDeleted ?? 0} manifests${bytes}; ${gate}: ${lastRun.message ?? ''}`;
    context.recordEvent({ type: 'Normal', reason: 'GarbageCollectionSucceeded', action: 'CollectGarbage', note: note.slice(0, 1000) });
  } else {
    const reason = lastRun.outcome === 'Aborted' ? 'GarbageCollectionAborted' : 'GarbageCollectionFailed';
    context.recordEvent({ type: 'Warning', reason, action: 'CollectGarbage', note: `${lastRun.message ?? lastRun.outcome}; ${gate}`.slice(0, 1000) });
  }
  context.log.info({ lastRun }, 'the garbage collection run ended; pushes are open again');
}
