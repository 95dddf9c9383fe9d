import { describe, expect, it } from 'vitest';
import { ApplyRejectedError, KubeApiError } from '../../../src/runtime/errors.ts';
import { RejectedApplies } from '../../../src/runtime/rejected-applies.ts';

const refused = new ApplyRejectedError('PersistentVolumeClaim', 'ns/claim', new KubeApiError('PATCH', '/x', 422, { message: 'no' }));
const claim = { spec: { resources: { requests: { storage: '10Gi' } } } };

describe('RejectedApplies', () => {
  it('recalls a refusal for the same object and generation, and forgets it for a new generation', () => {
    const memory = new RejectedApplies();
    memory.remember({ key: 'ns/main', generation: 2 }, 'claim', claim, refused);
    expect(memory.recall({ key: 'ns/main', generation: 2 }, 'claim', { spec: { resources: { requests: { storage: '10Gi' } } } })).toBe(refused);
    expect(memory.recall({ key: 'ns/other', generation: 2 }, 'claim', claim)).toBeUndefined();
    expect(memory.recall({ key: 'ns/main', generation: 3 }, 'claim', claim)).toBeUndefined();
    expect(memory.recall({ key: 'ns/main', generation: 2 }, 'claim', claim), 'a new generation cleared the old refusals').toBeUndefined();
  });

  it('sends a different desired object at once, and the same one again after the retry period', () => {
    let now = 0;
    const memory = new RejectedApplies({ retryAfterMs: 1_000, now: () => now });
    memory.remember({ key: 'ns/main', generation: 1 }, 'claim', claim, refused);
    expect(memory.recall({ key: 'ns/main', generation: 1 }, 'claim', { spec: { resources: { requests: { storage: '30Gi' } } } })).toBeUndefined();
    now = 999;
    expect(memory.recall({ key: 'ns/main', generation: 1 }, 'claim', claim)).toBe(refused);
    now = 1_000;
    expect(memory.recall({ key: 'ns/main', generation: 1 }, 'claim', claim)).toBeUndefined();
  });

  it('forgets everything of a root that is gone', () => {
    const memory = new RejectedApplies();
    memory.remember({ key: 'ns/main', generation: 1 }, 'claim', claim, refused);
    memory.forget('ns/main');
    expect(memory.recall({ key: 'ns/main', generation: 1 }, 'claim', claim)).toBeUndefined();
  });
});
