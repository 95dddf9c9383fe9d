import type { GarbageCollectionStatus, RegistryStatus } from '../../../api/v1alpha1/registry.ts';
import { setCondition, type Condition, type ConditionUpdate } from '../../../runtime/conditions.ts';
import { conditionTypes, garbageCollectionReasons, progressReasons, type RegistryReason } from './reasons.ts';

/** Why garbage collection cannot run as the spec asks (collection-problems.ts), as the status shows it. */
export interface CollectionRefusal {
  reason: RegistryReason;
  message: string;
}

export interface CollectionStatusInputs {
  /** Whether spec.garbageCollection is set. */
  enabled: boolean;
  state: GarbageCollectionStatus;
  refusal: CollectionRefusal | undefined;
}

/**
 * What garbage collection adds to a Registry's status, on top of what its children say:
 * Maintenance (True while a run holds, or is lifting, the write gate), GarbageCollection (how the
 * last run went, or why runs are refused), and the state itself. A run that failed or aborted
 * makes the registry Degraded with the same reason until a later run succeeds, unless something
 * more fundamental already does; a gate in force makes a Ready registry's phase Maintenance.
 * Pure: the same state gives the same status.
 */
export function withGarbageCollection(
  derived: { phase: NonNullable<RegistryStatus['phase']>; conditions: ConditionUpdate[] },
  inputs: CollectionStatusInputs,
): { phase: NonNullable<RegistryStatus['phase']>; conditions: ConditionUpdate[]; garbageCollection?: GarbageCollectionStatus } {
  const { state } = inputs;
  const hasState = Object.keys(state).length > 0;
  if (!inputs.enabled && !hasState) return derived;
  const current = state.current;
  const maintenance: ConditionUpdate =
    current !== undefined
      ? {
          type: conditionTypes.maintenance,
          status: 'True',
          reason: garbageCollectionReasons.collecting,
          message:
            current.phase === 'Lifting'
              ? `garbage collection run ${current.run} ended (${current.outcome ?? 'undecided'}); reopening pushes and deletes (the gate lapses at ${current.gateUntil} at the latest)`
              : `garbage collection run ${current.run} (${current.phase}): pushes and deletes are refused until it ends, at ${current.gateUntil} at the latest; pulls are served`,
        }
      : { type: conditionTypes.maintenance, status: 'False', reason: garbageCollectionReasons.noMaintenance, message: 'pushes and deletes are open' };

  const lastRun = state.lastRun;
  const failedRun =
    lastRun !== undefined && (lastRun.outcome === 'Failed' || lastRun.outcome === 'Aborted')
      ? {
          reason: lastRun.outcome === 'Failed' ? garbageCollectionReasons.failed : garbageCollectionReasons.aborted,
          message: `garbage collection started ${lastRun.startTime}: ${lastRun.message ?? lastRun.outcome}`,
        }
      : undefined;
  const collection: ConditionUpdate | undefined =
    inputs.refusal !== undefined
      ? { type: conditionTypes.garbageCollection, status: 'False', reason: inputs.refusal.reason, message: inputs.refusal.message }
      : failedRun !== undefined
        ? { type: conditionTypes.garbageCollection, status: 'False', ...failedRun }
        : lastRun?.outcome === 'Succeeded'
          ? {
              type: conditionTypes.garbageCollection,
              status: 'True',
              reason: garbageCollectionReasons.lastRunSucceeded,
              message: lastRun.message ?? 'the last collection succeeded',
            }
          : undefined;

  let conditions = [...derived.conditions, maintenance, ...(collection !== undefined ? [collection] : [])];
  let phase = derived.phase;
  const degraded = derived.conditions.find((condition) => condition.type === conditionTypes.degraded);
  if (failedRun !== undefined && degraded?.status !== 'True') {
    conditions = conditions.map((condition) => (condition.type === conditionTypes.degraded ? { ...condition, status: 'True', ...failedRun } : condition));
    if (degraded === undefined) conditions.push({ type: conditionTypes.degraded, status: 'True', ...failedRun });
    if (phase === 'Ready') phase = 'Degraded';
  }
  if (current !== undefined && (phase === 'Ready' || (phase === 'Degraded' && degraded?.status !== 'True'))) phase = 'Maintenance';
  return { phase, conditions, ...(hasState ? { garbageCollection: state } : {}) };
}

const collectionDegradedReasons: ReadonlySet<string> = new Set([garbageCollectionReasons.failed, garbageCollectionReasons.aborted]);

/**
 * The status stored with a new garbage collection state in the middle of a reconcile (before the
 * action the state precedes), so that it never says one thing in `garbageCollection` and another
 * in its conditions: the last written status with the collection's conditions and phase redone.
 * The reconcile's final write recomputes everything from the children as usual.
 */
export function storedWithCollection(
  status: RegistryStatus,
  inputs: CollectionStatusInputs,
  options: { observedGeneration?: number | undefined } = {},
): RegistryStatus {
  const conditions = (status.conditions ?? []) as Condition[];
  // What the children said: a Degraded of the collection's own making does not count.
  const degraded = conditions.find((condition) => condition.type === conditionTypes.degraded);
  const fromChildren =
    degraded === undefined || collectionDegradedReasons.has(degraded.reason)
      ? { type: conditionTypes.degraded, status: 'False' as const, reason: progressReasons.asExpected, message: 'nothing needs attention' }
      : { type: degraded.type, status: degraded.status, reason: degraded.reason, message: degraded.message };
  const ready = conditions.find((condition) => condition.type === conditionTypes.ready)?.status === 'True';
  const basePhase =
    status.phase === 'Maintenance' || (status.phase === 'Degraded' && fromChildren.status !== 'True')
      ? ready
        ? 'Ready'
        : 'Progressing'
      : (status.phase ?? 'Pending');
  const composed = withGarbageCollection({ phase: basePhase, conditions: [fromChildren] }, inputs);
  let merged = conditions;
  for (const update of composed.conditions) {
    merged = setCondition(merged, update, options.observedGeneration !== undefined ? { observedGeneration: options.observedGeneration } : {});
  }
  const { garbageCollection: _previous, ...rest } = status;
  return {
    ...rest,
    phase: composed.phase,
    conditions: merged,
    ...(composed.garbageCollection !== undefined ? { garbageCollection: composed.garbageCollection } : {}),
  };
}
