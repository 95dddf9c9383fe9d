import { describe, expect, it } from 'vitest';
import { volumeForClaim } from '../../cluster/volume-provisioner.ts';

describe('volumeForClaim', () => {
  const claim = {
    metadata: {
      name: 'data',
      namespace: 'team-a',
      uid: '1234-abcd',
      annotations: { 'volume.kubernetes.io/selected-node': 'kwok-node-1' },
    },
    spec: { accessModes: ['ReadWriteMany'], storageClassName: 'standard', resources: { requests: { storage: '5Gi' } } },
  };

  it('pre-binds a volume of the requested size and modes to the claim', () => {
    const volume = volumeForClaim(claim, '/tmp/volumes');
    expect(volume.metadata?.name).toBe('pvc-1234-abcd');
    expect(volume.spec?.capacity).toEqual({ storage: '5Gi' });
    expect(volume.spec?.accessModes).toEqual(['ReadWriteMany']);
    expect(volume.spec?.claimRef).toMatchObject({ namespace: 'team-a', name: 'data', uid: '1234-abcd' });
    expect(volume.spec?.hostPath?.path).toBe('/tmp/volumes/team-a-data-1234-abcd');
  });

  it('pins the volume to the node the scheduler selected', () => {
    const terms = volumeForClaim(claim, '/tmp/volumes').spec?.nodeAffinity?.required?.nodeSelectorTerms;
    expect(terms?.[0]?.matchExpressions?.[0]).toEqual({ key: 'kubernetes.io/hostname', operator: 'In', values: ['kwok-node-1'] });
  });

  it('refuses a claim without identity rather than guessing a name', () => {
    expect(() => volumeForClaim({ metadata: { name: 'x' } }, '/tmp/volumes')).toThrow(/uid/);
  });
});
