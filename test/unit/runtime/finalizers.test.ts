import { describe, expect, it } from 'vitest';
import { finalizerStep, reconcileWithFinalizer, type JsonPatchOperation } from '../../../src/runtime/finalizers.ts';
import type { KubeObject } from '../../../src/runtime/resource.ts';
import { KubeApiError } from '../../../src/runtime/errors.ts';

const finalizer = 'dockyard.dev/cleanup';

function object(metadata: KubeObject['metadata']): KubeObject {
  return { apiVersion: 'dockyard.dev/v1alpha1', kind: 'Registry', metadata: { name: 'main', namespace: 'team-a', ...metadata } };
}

/** Runs one step and records what it did, in order. */
async function step(target: KubeObject) {
  const calls: string[] = [];
  const patches: JsonPatchOperation[][] = [];
  const outcome = await reconcileWithFinalizer(target, finalizer, {
    patch: async (operations) => {
      calls.push('patch');
      patches.push(operations);
    },
    apply: async () => {
      calls.push('apply');
      return 'applied-result';
    },
    cleanup: async () => {
      calls.push('cleanup');
    },
  });
  return { outcome, calls, patches };
}

describe('finalizer state machine', () => {
  it('adds the finalizer to an object without any, guarded by a test that the list is absent, and does not apply yet', async () => {
    const { outcome, calls, patches } = await step(object({}));
    expect(outcome).toEqual({ action: 'finalizer-added' });
    expect(calls).toEqual(['patch']);
    expect(patches[0]).toEqual([
      { op: 'test', path: '/metadata/finalizers', value: null },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ]);
  });

  it('appends to other finalizers, guarded by a test of the whole current list, never replacing it', () => {
    expect(finalizerStep(object({ finalizers: ['other.io/keep'] }), finalizer)).toEqual({
      action: 'add-finalizer',
      patch: [
        { op: 'test', path: '/metadata/finalizers', value: ['other.io/keep'] },
        { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
      ],
    });
  });

  it('applies when the finalizer is in place and the object is alive', async () => {
    const { outcome, calls } = await step(object({ finalizers: ['other.io/keep', finalizer] }));
    expect(outcome).toEqual({ action: 'applied', result: 'applied-result' });
    expect(calls).toEqual(['apply']);
  });

  it('on deletion cleans up first, then removes exactly its own entry, guarded by a test of that entry', async () => {
    const { outcome, calls, patches } = await step(
      object({ deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['other.io/keep', finalizer, 'third.io/x'] }),
    );
    expect(outcome).toEqual({ action: 'cleaned-up' });
    expect(calls).toEqual(['cleanup', 'patch']);
    expect(patches[0]).toEqual([
      { op: 'test', path: '/metadata/finalizers/1', value: finalizer },
      { op: 'remove', path: '/metadata/finalizers/1' },
    ]);
  });

  it('keeps the finalizer when cleanup fails, so the deletion waits for a retry', async () => {
    const patches: unknown[] = [];
    const deleting = object({ deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: [finalizer] });
    await expect(
      reconcileWithFinalizer(deleting, finalizer, {
        patch: async (operations) => void patches.push(operations),
        apply: async () => undefined,
        cleanup: async () => {
          throw new Error('registry unreachable');
        },
      }),
    ).rejects.toThrow('registry unreachable');
    expect(patches).toEqual([]);
  });

  it('does nothing for an object being deleted that no longer carries the finalizer', async () => {
    const { outcome, calls } = await step(object({ deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['other.io/keep'] }));
    expect(outcome).toEqual({ action: 'none' });
    expect(calls).toEqual([]);
  });
  it('reports a finalizer patch whose test no longer holds (422, a stale cache) as stale, not as a failure', async () => {
    const testFailed = new KubeApiError('PATCH', '/apis/x', 422, {
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
    });
    const refusing = { patch: async () => Promise.reject(testFailed), apply: async () => 'never', cleanup: async () => undefined };
    expect(await reconcileWithFinalizer(object({}), finalizer, refusing)).toEqual({ action: 'stale' });
    expect(await reconcileWithFinalizer(object({ deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [finalizer] }), finalizer, refusing)).toEqual({
      action: 'stale',
    });
    const unreachable = { ...refusing, patch: async () => Promise.reject(new KubeApiError('PATCH', '/apis/x', 503, undefined)) };
    await expect(reconcileWithFinalizer(object({}), finalizer, unreachable)).rejects.toThrow(/503/);
  });
});
