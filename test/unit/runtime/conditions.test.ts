import { describe, expect, it } from 'vitest';
import { findCondition, isConditionTrue, setCondition, type Condition } from '../../../src/runtime/conditions.ts';
import { kubeTime } from '../../../src/runtime/kube-time.ts';

const t0 = new Date('2025-01-01T10:00:00.123Z');
const t1 = new Date('2025-01-01T11:30:00.999Z');

describe('setCondition', () => {
  it('adds a new condition stamped with the transition time and observed generation', () => {
    const conditions = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Starting', message: 'waiting' }, { now: t0, observedGeneration: 3 });
    expect(conditions).toEqual([
      { type: 'Ready', status: 'False', reason: 'Starting', message: 'waiting', lastTransitionTime: '2025-01-01T10:00:00Z', observedGeneration: 3 },
    ]);
  });

  it('keeps lastTransitionTime when the status did not flip, even if reason and message changed', () => {
    const before = setCondition([], { type: 'Ready', status: 'False', reason: 'Starting', message: 'waiting' }, { now: t0, observedGeneration: 1 });
    const after = setCondition(before, { type: 'Ready', status: 'False', reason: 'PodsPending', message: '0/1 ready' }, { now: t1, observedGeneration: 2 });
    expect(findCondition(after, 'Ready')).toMatchObject({ reason: 'PodsPending', lastTransitionTime: kubeTime(t0), observedGeneration: 2 });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const before = setCondition([], { type: 'Ready', status: 'False', reason: 'Starting', message: '' }, { now: t0 });
    const after = setCondition(before, { type: 'Ready', status: 'True', reason: 'Available', message: '' }, { now: t1 });
    expect(findCondition(after, 'Ready')?.lastTransitionTime).toBe('2025-01-01T11:30:00Z');
    expect(isConditionTrue(after, 'Ready')).toBe(true);
  });

  it('returns an equal array when nothing changed, so a status writer can skip the write', () => {
    const once = setCondition([], { type: 'Ready', status: 'True', reason: 'Available', message: 'ok' }, { now: t0, observedGeneration: 4 });
    const twice = setCondition(once, { type: 'Ready', status: 'True', reason: 'Available', message: 'ok' }, { now: t1, observedGeneration: 4 });
    expect(twice).toEqual(once);
  });

  it('keeps the order and the other conditions, and does not change its input', () => {
    const input: Condition[] = [
      { type: 'Ready', status: 'True', reason: 'A', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' },
      { type: 'Degraded', status: 'False', reason: 'B', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' },
    ];
    const frozen = structuredClone(input);
    const output = setCondition(input, { type: 'Ready', status: 'False', reason: 'Lost', message: '' }, { now: t1 });
    expect(output.map((c) => c.type)).toEqual(['Ready', 'Degraded']);
    expect(output[1]).toBe(input[1]);
    expect(input).toEqual(frozen);
  });
});
