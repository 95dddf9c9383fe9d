import { describe, expect, it } from 'vitest';
import { problemsOfRejection } from '../../../../src/controllers/registry/rejected-spec.ts';
import { ApplyRejectedError, KubeApiError } from '../../../../src/runtime/errors.ts';

const refusal = (kind: string, causes: Array<{ field?: string; message: string }>) =>
  new ApplyRejectedError(
    kind,
    'team-a/main-registry-data',
    new KubeApiError('PATCH', '/api/v1/x', 422, { reason: 'Invalid', message: 'is invalid', details: { causes } }),
  );

describe('problemsOfRejection', () => {
  it('names the Registry field behind a refused claim size, quoting the apiserver', () => {
    const problems = problemsOfRejection(
      refusal('PersistentVolumeClaim', [{ field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than previous value' }]),
    );
    expect(problems).toEqual([
      {
        field: 'spec.storage.persistentVolumeClaim.size',
        message:
          'the apiserver refused PersistentVolumeClaim team-a/main-registry-data: spec.resources.requests.storage: Forbidden: field can not be less than previous value',
      },
    ]);
  });

  it('picks the longest matching child path, and indexes count as path separators', () => {
    const [problem] = problemsOfRejection(refusal('Deployment', [{ field: 'spec.template.spec.containers[0].resources.limits.memory', message: 'Invalid' }]));
    expect(problem?.field).toBe('spec.resources');
    const [whole] = problemsOfRejection(refusal('PersistentVolumeClaim', [{ field: 'spec', message: 'Forbidden: spec is immutable' }]));
    expect(whole?.field).toBe('spec.storage.persistentVolumeClaim');
  });

  it('still names the child and its field when no spec field maps to it', () => {
    const [problem] = problemsOfRejection(refusal('Secret', [{ field: 'data[config.yml]', message: 'Too long' }]));
    expect(problem?.field).toBe('spec (through Secret team-a/main-registry-data data[config.yml])');
  });

  it('is terminal, so a reconcile that does not catch it is not retried', async () => {
    const { isTerminal } = await import('../../../../src/runtime/errors.ts');
    expect(isTerminal(refusal('Service', []))).toBe(true);
  });
});
