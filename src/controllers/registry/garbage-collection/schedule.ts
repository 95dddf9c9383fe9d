import type { GarbageCollectionStatus, Registry } from '../../../api/v1alpha1/registry.ts';
import { durationMilliseconds } from '../../../api/v1alpha1/duration.ts';
import { nextRunTime, ScheduleError } from '../../../retention/schedule.ts';

/** The annotation that asks for a collection now: each new value starts one run. */
export const collectGarbageNowAnnotation = 'dockyard.dev/collect-garbage-now';

/**
 * When the schedule fires next: after the last run's start, so a run the operator missed (it was
 * down at the time) starts once as soon as it is back, never several times. With no run yet, the
 * time the status already announces stands while the schedule still fires then; otherwise the
 * next time after now. Suspended: none (run-now still works). In UTC, as the schedule says in
 * the CRD.
 */
export function scheduledCollectionAt(registry: Registry, state: GarbageCollectionStatus, now: Date): Date | undefined {
  const collection = registry.spec.garbageCollection;
  if (collection === undefined || collection.suspend) return undefined;
  const after = (instant: Date) => {
    try {
      return nextRunTime(collection.schedule, undefined, instant);
    } catch (error) {
      if (error instanceof ScheduleError) throw new ScheduleError('spec.garbageCollection.schedule', error.message.replace(/^[^:]*: /, ''));
      throw error;
    }
  };
  if (state.lastRun !== undefined) return after(new Date(state.lastRun.startTime));
  if (state.nextRunTime !== undefined) {
    const announced = new Date(state.nextRunTime);
    const fires = after(new Date(announced.getTime() - 1000));
    if (fires?.getTime() === announced.getTime()) return announced;
  }
  return after(now);
}

export type RunNowDecision =
  /** No new request. */
  | { kind: 'none' }
  /** A new value while idle: the sequence starts a run and remembers the value. */
  | { kind: 'start'; request: string }
  /** A new value while a run is under way: refused (remembered, so once per value), with an Event. */
  | { kind: 'refuse'; request: string; message: string };

export function runNowDecision(registry: Registry, state: GarbageCollectionStatus): RunNowDecision {
  const request = registry.metadata.annotations?.[collectGarbageNowAnnotation];
  if (request === undefined || request === state.handledRunNowRequest) return { kind: 'none' };
  const current = state.current;
  if (current === undefined) return { kind: 'start', request };
  return {
    kind: 'refuse',
    request,
    message: `${collectGarbageNowAnnotation}=${request.slice(0, 64)} refused: run ${current.run} is under way (${current.phase}, write gate until ${current.gateUntil}); set a new value once it has ended`,
  };
}

/** The settings the sequence reads from the spec; undefined without spec.garbageCollection. */
export function collectionSpec(registry: Registry): { deleteUntagged: boolean; suspend: boolean; maxReadOnlySeconds: number } | undefined {
  const collection = registry.spec.garbageCollection;
  if (collection === undefined) return undefined;
  return {
    deleteUntagged: collection.deleteUntagged,
    suspend: collection.suspend,
    maxReadOnlySeconds: Math.max(1, Math.round(durationMilliseconds(collection.maxReadOnlyDuration) / 1000)),
  };
}
