import type { V1DaemonSet, V1Deployment, V1DeploymentStatus, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Registry } from '../../../../src/api/v1alpha1/registry.ts';
import {
  deriveRegistryStatus,
  secretsTheStatusReads,
  type DerivedRegistryStatus,
  type ObservedRegistryChildren,
} from '../../../../src/controllers/registry/status/managed.ts';
import { registry, sampleRegistry } from '../../../support/registries.ts';

const deployment = (status: V1DeploymentStatus, generation = 1): V1Deployment => ({ metadata: { generation }, status: { observedGeneration: 1, ...status } });
const rolledOut = (replicas = 1) => deployment({ replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas });
const claim = (phase: string): V1PersistentVolumeClaim => ({ status: { phase } });
const stuck = (message = 'ReplicaSet "main-registry-5d4f" has timed out progressing.') =>
  deployment({
    replicas: 1,
    updatedReplicas: 1,
    readyReplicas: 0,
    availableReplicas: 0,
    unavailableReplicas: 1,
    conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message }],
  });
const nodeProxy = (ready: number, desired: number): V1DaemonSet => ({
  metadata: { generation: 1 },
  status: {
    observedGeneration: 1,
    desiredNumberScheduled: desired,
    currentNumberScheduled: desired,
    numberMisscheduled: 0,
    numberReady: ready,
    numberAvailable: ready,
    updatedNumberScheduled: desired,
  },
});

/** A DESIGN.md example registry whose children are all there and healthy; tests change one thing. */
function observed(overrides: Partial<ObservedRegistryChildren> = {}): ObservedRegistryChildren {
  return {
    deployment: rolledOut(),
    service: { metadata: { name: 'main-registry' } },
    claim: claim('Bound'),
    nodeProxy: nodeProxy(3, 3),
    secretExists: () => true,
    certManagerInstalled: true,
    ...overrides,
  };
}

/** Conditions as type -> "Status/Reason", for compact expectations. */
function summary(status: DerivedRegistryStatus): Record<string, string> {
  return Object.fromEntries(status.conditions.map((condition) => [condition.type, `${condition.status}/${condition.reason}`]));
}

function message(status: DerivedRegistryStatus, type: string): string {
  return status.conditions.find((condition) => condition.type === type)?.message ?? '';
}

const main: Registry = sampleRegistry('registry-pvc.yaml');

describe('deriveRegistryStatus', () => {
  it('is Ready when every replica is updated and available, with endpoint, node endpoint, image and ready count', () => {
    const status = deriveRegistryStatus(main, observed());
    expect(summary(status)).toEqual({ Ready: 'True/Available', Progressing: 'False/RolloutComplete', Degraded: 'False/AsExpected' });
    expect(status).toMatchObject({
      phase: 'Ready',
      readyReplicas: 1,
      endpoint: 'main-registry.team-a.svc:5000',
      nodeEndpoint: 'localhost:5000',
      image: 'docker.io/library/registry:3.0.0',
    });
    expect(message(status, 'Ready')).toBe('1 of 1 replicas ready, 1 updated; node proxy ready on 3 of 3 nodes');
  });

  it('lists Ready, Progressing and Degraded with type, status, reason and message only (setCondition stamps times)', () => {
    for (const condition of deriveRegistryStatus(main, observed()).conditions) {
      expect(Object.keys(condition).sort()).toEqual(['message', 'reason', 'status', 'type']);
    }
  });

  it('is Pending while children are still being created, naming what is missing', () => {
    const status = deriveRegistryStatus(main, observed({ deployment: undefined, claim: undefined }));
    expect(summary(status)).toMatchObject({ Ready: 'False/Creating', Progressing: 'True/Creating', Degraded: 'False/AsExpected' });
    expect(status.phase).toBe('Pending');
    expect(message(status, 'Progressing')).toBe('creating Deployment main-registry, PersistentVolumeClaim main-registry-data');
  });

  it('waits (Progressing, not Degraded) while the claim is unbound within the rollout deadline (WaitForFirstConsumer)', () => {
    const status = deriveRegistryStatus(main, observed({ claim: claim('Pending'), deployment: deployment({ replicas: 1, updatedReplicas: 1 }) }));
    expect(summary(status)).toEqual({ Ready: 'False/WaitingForStorage', Progressing: 'True/WaitingForStorage', Degraded: 'False/AsExpected' });
    expect(status.phase).toBe('Progressing');
  });

  it('is Degraded/StorageUnbound when the claim is still unbound after the rollout deadline', () => {
    const status = deriveRegistryStatus(main, observed({ claim: claim('Pending'), deployment: stuck() }));
    expect(summary(status)).toEqual({ Ready: 'False/StorageUnbound', Progressing: 'False/StorageUnbound', Degraded: 'True/StorageUnbound' });
    expect(message(status, 'Degraded')).toContain('PersistentVolumeClaim main-registry-data is still unbound');
    expect(status.phase).toBe('Degraded');
  });

  it('is Degraded/StorageUnbound when the claim lost its volume', () => {
    expect(summary(deriveRegistryStatus(main, observed({ claim: claim('Lost') })))).toMatchObject({ Degraded: 'True/StorageUnbound' });
  });

  it("is Degraded/RolloutStuck when the Deployment exceeded its progress deadline, quoting the Deployment's message", () => {
    const status = deriveRegistryStatus(main, observed({ deployment: stuck('ReplicaSet "x" has timed out progressing.') }));
    expect(summary(status)).toEqual({ Ready: 'False/RolloutStuck', Progressing: 'False/RolloutStuck', Degraded: 'True/RolloutStuck' });
    expect(message(status, 'Degraded')).toContain('ReplicaSet "x" has timed out progressing.');
  });

  it('is Degraded/SecretMissing naming the Secret and the field, yet Ready while started Pods still serve', () => {
    const shared = sampleRegistry('registry-s3.yaml');
    const status = deriveRegistryStatus(
      shared,
      observed({ deployment: rolledOut(2), claim: undefined, nodeProxy: undefined, secretExists: (name) => name !== 'registry-s3' }),
    );
    expect(summary(status)).toEqual({ Ready: 'True/Available', Progressing: 'False/SecretMissing', Degraded: 'True/SecretMissing' });
    expect(message(status, 'Degraded')).toBe('Secret registry-s3 (spec.storage.s3.credentialsSecretRef) does not exist in namespace team-a');
    expect(status.phase).toBe('Degraded');
  });

  it('names every missing Secret, not just the first', () => {
    const shared = sampleRegistry('registry-s3.yaml');
    const status = deriveRegistryStatus(shared, observed({ deployment: undefined, claim: undefined, nodeProxy: undefined, secretExists: () => false }));
    expect(message(status, 'Degraded')).toContain('registry-s3 (spec.storage.s3.credentialsSecretRef)');
    expect(message(status, 'Degraded')).toContain('registry-team-a-tls (spec.ingress.tlsSecretName)');
  });

  it('is Degraded/CertManagerMissing when spec.tls.issuerRef is set and cert-manager is not installed', () => {
    const shared = sampleRegistry('registry-s3.yaml');
    const status = deriveRegistryStatus(shared, observed({ claim: undefined, nodeProxy: undefined, certManagerInstalled: false }));
    expect(summary(status)).toMatchObject({ Degraded: 'True/CertManagerMissing' });
    expect(message(status, 'Degraded')).toContain('install cert-manager or use spec.tls.secretName');
  });

  it('waits for cert-manager to issue the TLS Secret (Progressing/WaitingForCertificate)', () => {
    const shared = sampleRegistry('registry-s3.yaml');
    const status = deriveRegistryStatus(
      shared,
      observed({
        deployment: deployment({ replicas: 2, updatedReplicas: 2 }),
        claim: undefined,
        nodeProxy: undefined,
        secretExists: (name) => name !== 'shared-registry-tls',
      }),
    );
    expect(summary(status)).toEqual({ Ready: 'False/WaitingForCertificate', Progressing: 'True/WaitingForCertificate', Degraded: 'False/AsExpected' });
  });

  it('is rolling out while the Deployment controller has not seen the latest generation, even with ready Pods', () => {
    const status = deriveRegistryStatus(main, observed({ deployment: { ...rolledOut(), metadata: { generation: 2 } } }));
    expect(summary(status)).toMatchObject({ Ready: 'False/RollingOut', Progressing: 'True/RollingOut' });
    expect(message(status, 'Progressing')).toContain('has not seen the latest change');
  });

  it('stays Ready but Progressing while the node proxy is not on every node (one bad node must not make the registry unready)', () => {
    const status = deriveRegistryStatus(main, observed({ nodeProxy: nodeProxy(2, 3) }));
    expect(summary(status)).toEqual({ Ready: 'True/Available', Progressing: 'True/RollingOut', Degraded: 'False/AsExpected' });
    expect(message(status, 'Progressing')).toBe('node proxy ready on 2 of 3 nodes');
    expect(status.phase).toBe('Ready');
  });

  it('is Failed/InvalidSpec naming metadata.name when the name cannot make a Service name', () => {
    const tooLong = registry({ storage: { emptyDir: {} } }, { name: `r${'x'.repeat(60)}` });
    const status = deriveRegistryStatus(tooLong, observed({ claim: undefined, nodeProxy: undefined }));
    expect(summary(status)).toEqual({ Ready: 'False/InvalidSpec', Progressing: 'False/InvalidSpec', Degraded: 'True/InvalidSpec' });
    expect(message(status, 'Degraded')).toMatch(/^metadata\.name: .*at most 54 characters/);
    expect(status.phase).toBe('Failed');
  });

  it('is Failed/InvalidSpec for a name starting with a digit, which a Service name may not', () => {
    const digit = registry({ storage: { emptyDir: {} } }, { name: '1st' });
    expect(summary(deriveRegistryStatus(digit, observed({ claim: undefined, nodeProxy: undefined })))).toMatchObject({ Degraded: 'True/InvalidSpec' });
  });

  it('reports what the apiserver rejected in an apply as InvalidSpec, with the field', () => {
    const status = deriveRegistryStatus(
      main,
      observed({ rejectedSpec: [{ field: 'spec.storage.persistentVolumeClaim.size', message: 'a claim cannot shrink below 20Gi' }] }),
    );
    expect(summary(status)).toMatchObject({ Degraded: 'True/InvalidSpec' });
    expect(message(status, 'Degraded')).toBe('spec.storage.persistentVolumeClaim.size: a claim cannot shrink below 20Gi');
  });

  it('is deterministic: the same observation gives an equal status (so an unchanged world writes nothing)', () => {
    expect(deriveRegistryStatus(main, observed())).toEqual(deriveRegistryStatus(main, observed()));
  });
});

describe('secretsTheStatusReads', () => {
  it("includes the Secret cert-manager issues, which is in none of the operator's caches", () => {
    const names = secretsTheStatusReads(registry({ storage: { emptyDir: {} }, tls: { issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } } }));
    expect(names).toEqual(['main-registry-tls']);
  });

  it("lists the user's Secrets the spec names, each once", () => {
    const names = secretsTheStatusReads(
      registry({
        storage: { s3: { bucket: 'images', region: 'eu-1', credentialsSecretRef: { name: 's3-keys' } } },
        tls: { secretName: 'serving' },
        ingress: { host: 'registry.example.com', tlsSecretName: 'serving' },
      }),
    );
    expect(names.sort()).toEqual(['s3-keys', 'serving']);
  });
});
