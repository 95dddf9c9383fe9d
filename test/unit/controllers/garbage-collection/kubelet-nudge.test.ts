import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubeletNudges, nudgeKubelets, type PodRef, writeGateAnnotation } from '../../../../src/controllers/registry/garbage-collection/kubelet-nudge.ts';
import type { WriteGate } from '../../../../src/registry-auth/write-gate.ts';

const gate: WriteGate = { id: 'run-a1', reason: 'garbage collection', since: '2026-12-02T01:00:00Z', until: '2026-12-02T01:30:00Z' };

function pod(name: string, annotation?: string, deleting = false): V1Pod {
  return {
    metadata: {
      namespace: 'team-a',
      name,
      ...(annotation !== undefined ? { annotations: { [writeGateAnnotation]: annotation, other: 'kept' } } : {}),
      ...(deleting ? { deletionTimestamp: new Date() } : {}),
    },
  };
}

describe('kubeletNudges', () => {
  it('annotates each Pod that does not name the gate yet, and only those', () => {
    const nudges = kubeletNudges([pod('a'), pod('b', 'run-a1'), pod('c', 'run-old')], gate);
    expect(nudges).toEqual([
      { pod: { namespace: 'team-a', name: 'a' }, patch: { metadata: { annotations: { [writeGateAnnotation]: 'run-a1' } } } },
      { pod: { namespace: 'team-a', name: 'c' }, patch: { metadata: { annotations: { [writeGateAnnotation]: 'run-a1' } } } },
    ]);
  });

  it('removes the annotation when the gate is lifted, and leaves Pods that never had one alone', () => {
    const nudges = kubeletNudges([pod('a', 'run-a1'), pod('b')], undefined);
    // null in a merge patch deletes the key, and only that key.
    expect(nudges).toEqual([{ pod: { namespace: 'team-a', name: 'a' }, patch: { metadata: { annotations: { [writeGateAnnotation]: null } } } }]);
  });

  it('skips Pods on their way out: their kubelet is stopping them', () => {
    expect(kubeletNudges([pod('a', undefined, true)], gate)).toEqual([]);
  });
});

describe('nudgeKubelets', () => {
  it('patches every Pod that differs even when one patch fails, and reports the failure', async () => {
    const patched: string[] = [];
    const warnings: string[] = [];
    await nudgeKubelets([pod('a'), pod('gone'), pod('c')], gate, {
      patch: async (target: PodRef) => {
        if (target.name === 'gone') throw new Error('pods "gone" not found');
        patched.push(target.name);
      },
      warn: (target, message) => warnings.push(`${target.name}: ${message}`),
    });
    expect(patched.sort()).toEqual(['a', 'c']);
    expect(warnings).toEqual(['gone: pods "gone" not found']);
  });
});
