import { isInvalid } from './errors.ts';
import type { KubeObject } from './resource.ts';

export type JsonPatchOperation =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown };

/**
 * The finalizer state machine (kube-rs `finalizer`), as a pure decision:
 * - alive without our finalizer: add it and stop; the update brings us back;
 * - alive with it: apply;
 * - deleting with it: clean up, then remove it;
 * - deleting without it: nothing left to do.
 * Both patches are guarded by `test` operations, so a concurrent change to the list fails the
 * patch (and the reconcile retries on fresh data) instead of overwriting someone's finalizer.
 */
export type FinalizerStep =
  | { action: 'add-finalizer'; patch: JsonPatchOperation[] }
  | { action: 'apply' }
  | { action: 'cleanup'; removePatch: JsonPatchOperation[] }
  | { action: 'none' };

export function finalizerStep(object: KubeObject, finalizer: string): FinalizerStep {
  const finalizers = object.metadata?.finalizers;
  const index = finalizers?.indexOf(finalizer) ?? -1;
  if (object.metadata?.deletionTimestamp) {
    if (index < 0) return { action: 'none' };
    const path = `/metadata/finalizers/${index}`;
    return {
      action: 'cleanup',
      removePatch: [
        { op: 'test', path, value: finalizer },
        { op: 'remove', path },
      ],
    };
  }
  if (index >= 0) return { action: 'apply' };
  if (finalizers === undefined) {
    return {
      action: 'add-finalizer',
      patch: [
        { op: 'test', path: '/metadata/finalizers', value: null },
        { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
      ],
    };
  }
  return {
    action: 'add-finalizer',
    patch: [
      { op: 'test', path: '/metadata/finalizers', value: finalizers },
      { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
    ],
  };
}

/**
 * `stale`: a finalizer patch's `test` failed (422) because the object changed since the cache saw
 * it, typically a reconcile of an object whose finalizer was just added but whose update event
 * has not arrived yet. Expected with caches, not a failure: the update event brings a fresh look.
 */
export type FinalizerOutcome<R> =
  | { action: 'finalizer-added' }
  | { action: 'applied'; result: R }
  | { action: 'cleaned-up' }
  | { action: 'none' }
  | { action: 'stale' };

/**
 * Runs one step of the state machine for `object`. `patch` sends a JSON Patch to the object;
 * `cleanup` must be idempotent and must tolerate `apply` never having run (the object may be
 * deleted right after the finalizer was added).
 */
export async function reconcileWithFinalizer<R>(
  object: KubeObject,
  finalizer: string,
  handlers: {
    patch: (operations: JsonPatchOperation[]) => Promise<unknown>;
    apply: () => Promise<R>;
    cleanup: () => Promise<void>;
  },
): Promise<FinalizerOutcome<R>> {
  const step = finalizerStep(object, finalizer);
  switch (step.action) {
    case 'add-finalizer':
      if (!(await patchUnlessStale(handlers.patch, step.patch))) return { action: 'stale' };
      return { action: 'finalizer-added' };
    case 'apply':
      return { action: 'applied', result: await handlers.apply() };
    case 'cleanup':
      await handlers.cleanup();
      if (!(await patchUnlessStale(handlers.patch, step.removePatch))) return { action: 'stale' };
      return { action: 'cleaned-up' };
    case 'none':
      return { action: 'none' };
  }
}

/** Sends a `test`-guarded patch; false when the apiserver refused it (422) because the guard no longer held. */
async function patchUnlessStale(patch: (operations: JsonPatchOperation[]) => Promise<unknown>, operations: JsonPatchOperation[]): Promise<boolean> {
  try {
    await patch(operations);
    return true;
  } catch (error) {
    if (isInvalid(error)) return false;
    throw error;
  }
}
