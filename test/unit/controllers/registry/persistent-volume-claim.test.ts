import { describe, expect, it } from 'vitest';
import { persistentVolumeClaim } from '../../../../src/controllers/registry/builders/persistent-volume-claim.ts';
import { registryNameLabel } from '../../../../src/controllers/common/registry-children.ts';
import { registry, registryUid, sampleRegistry } from '../../../support/registries.ts';

describe('persistentVolumeClaim', () => {
  it('asks for the size with the default access mode and the cluster default class (DESIGN.md example)', () => {
    const claim = persistentVolumeClaim(sampleRegistry('registry-pvc.yaml'));
    expect(claim?.metadata).toMatchObject({ name: 'main-registry-data', namespace: 'team-a' });
    expect(claim?.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } });
  });

  it('has no ownerReference with deletionPolicy Retain, so deleting the Registry keeps the images', () => {
    const claim = persistentVolumeClaim(sampleRegistry('registry-pvc.yaml'));
    expect(sampleRegistry('registry-pvc.yaml').spec.storage?.deletionPolicy).toBe('Retain');
    expect(claim?.metadata?.ownerReferences).toBeUndefined();
  });

  it('keeps the registry label with Retain, so a Registry created again under the name finds and adopts it', () => {
    expect(persistentVolumeClaim(sampleRegistry('registry-pvc.yaml'))?.metadata?.labels).toMatchObject({ [registryNameLabel]: 'main' });
  });

  it('is controlled by the Registry with deletionPolicy Delete, so it goes with it', () => {
    const claim = persistentVolumeClaim(registry({ storage: { persistentVolumeClaim: { size: '1Gi' }, deletionPolicy: 'Delete' } }));
    expect(claim?.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Registry', name: 'main', uid: registryUid, controller: true })]);
  });

  it('carries the storage class and access mode asked for, and the size in canonical form', () => {
    const claim = persistentVolumeClaim(
      registry({ storage: { persistentVolumeClaim: { size: '10240Mi', storageClassName: 'fast', accessMode: 'ReadWriteMany' } } }),
    );
    expect(claim?.spec).toEqual({ accessModes: ['ReadWriteMany'], storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } });
  });

  it.each([
    ['emptyDir', { emptyDir: {} }],
    ['s3', { s3: { bucket: 'images', region: 'eu-central-1', credentialsSecretRef: { name: 'creds' } } }],
  ])('is not built for %s storage', (_kind, storage) => {
    expect(persistentVolumeClaim(registry({ storage }))).toBeUndefined();
  });
});
