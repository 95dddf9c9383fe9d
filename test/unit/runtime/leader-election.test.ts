import { describe, expect, it } from 'vitest';
import { decideLease, type LeaseSpec } from '../../../src/runtime/leader-election.ts';

const now = Date.parse('2025-01-01T12:00:00Z');
const heldByB: LeaseSpec = {
  holderIdentity: 'replica-b',
  leaseDurationSeconds: 15,
  acquireTime: '2025-01-01T11:00:00.000000Z',
  renewTime: '2025-01-01T11:59:59.000000Z',
  leaseTransitions: 3,
};

describe('decideLease', () => {
  it('takes a lease nobody holds yet', () => {
    expect(decideLease(undefined, undefined, 'replica-a', now, 15)).toEqual({
      action: 'write',
      transition: false,
      spec: {
        holderIdentity: 'replica-a',
        leaseDurationSeconds: 15,
        acquireTime: '2025-01-01T12:00:00.000000Z',
        renewTime: '2025-01-01T12:00:00.000000Z',
        leaseTransitions: 0,
      },
    });
  });

  it('waits while another holder renewed within the lease duration, as measured by our own clock', () => {
    const decision = decideLease(heldByB, { record: 'r1', observedAt: now - 14_000 }, 'replica-a', now, 15);
    expect(decision).toEqual({ action: 'wait', holder: 'replica-b', validForMs: 1_000 });
  });

  it('ignores a renewTime far in the past: what counts is when we saw the record change', () => {
    const skewed = { ...heldByB, renewTime: '2020-01-01T00:00:00.000000Z' };
    expect(decideLease(skewed, { record: 'r1', observedAt: now }, 'replica-a', now, 15)).toMatchObject({ action: 'wait' });
  });

  it('takes over an expired lease and counts the transition', () => {
    const decision = decideLease(heldByB, { record: 'r1', observedAt: now - 15_000 }, 'replica-a', now, 15);
    expect(decision).toMatchObject({
      action: 'write',
      transition: true,
      spec: { holderIdentity: 'replica-a', acquireTime: '2025-01-01T12:00:00.000000Z', leaseTransitions: 4 },
    });
  });

  it('renews its own lease keeping acquireTime and the transition count', () => {
    const mine = { ...heldByB, holderIdentity: 'replica-a' };
    const decision = decideLease(mine, { record: 'r1', observedAt: now - 60_000 }, 'replica-a', now, 15);
    expect(decision).toEqual({
      action: 'write',
      transition: false,
      spec: { ...mine, renewTime: '2025-01-01T12:00:00.000000Z' },
    });
  });

  it('takes a released lease (empty holder) at once, without waiting for it to expire', () => {
    const released: LeaseSpec = { ...heldByB, holderIdentity: null, leaseDurationSeconds: 1 };
    const decision = decideLease(released, { record: 'r2', observedAt: now }, 'replica-a', now, 15);
    expect(decision).toMatchObject({ action: 'write', spec: { holderIdentity: 'replica-a', leaseTransitions: 3 } });
  });
});
