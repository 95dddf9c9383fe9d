import { describe, expect, it } from 'vitest';
import { deriveExternalStatus } from '../../../../src/controllers/registry/status/external.ts';

const byType = (conditions: Array<{ type: string; status: string; reason: string }>) =>
  Object.fromEntries(conditions.map((condition) => [condition.type, `${condition.status}/${condition.reason}`]));

describe('deriveExternalStatus', () => {
  it('is Ready when the registry answers with its credentials', () => {
    const { phase, conditions } = deriveExternalStatus({ kind: 'probed', reachable: true, message: 'answered HTTP 200' });
    expect(phase).toBe('Ready');
    expect(byType(conditions)).toEqual({ Ready: 'True/Reachable', Progressing: 'False/External', Degraded: 'False/AsExpected' });
  });

  it.each(['Unreachable', 'Unauthorized', 'UnexpectedStatus'] as const)('is Degraded/%s with the probe message when the probe fails', (reason) => {
    const { phase, conditions } = deriveExternalStatus({ kind: 'probed', reachable: false, reason, message: 'answered HTTP 401' });
    expect(phase).toBe('Degraded');
    expect(byType(conditions)).toEqual({ Ready: `False/${reason}`, Progressing: 'False/External', Degraded: `True/${reason}` });
    expect(conditions.find((condition) => condition.type === 'Degraded')?.message).toBe('answered HTTP 401');
  });

  it('names the missing credentials Secret and its field', () => {
    const { conditions } = deriveExternalStatus({ kind: 'secret-missing', secretName: 'remote-login' });
    expect(conditions.find((condition) => condition.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'SecretMissing',
      message: 'spec.external.credentialsSecretRef: Secret remote-login with keys username and password not found',
    });
  });
});
