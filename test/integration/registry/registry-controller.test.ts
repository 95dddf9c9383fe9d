import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configChecksumAnnotation } from '../../../src/controllers/registry/builders/deployment.ts';
import { resources } from '../../../src/controllers/registry/resources.ts';
import { eventually } from '../../support/eventually.ts';
import { auditedRequests, describeRequest } from '../../support/audit-log.ts';
import { operatorUser, RegistryTestbed, sample } from './testbed.ts';

const namespace = 'team-a';

// The Registry of DESIGN.md, as a user applies it, reconciled by the real operator on a real
// control plane (kwok runs the Pods).
describe.skipIf(inject('externalCluster'))('Registry controller', () => {
  let testbed: RegistryTestbed;

  beforeAll(async () => {
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: '' });
    await testbed.createNamespace(namespace, { team: 'a' });
    await testbed.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } }).catch(() => undefined);
    const design = sample('registry-pvc.yaml');
    await testbed.createRegistry(namespace, 'main', design.spec);
  });

  afterAll(async () => {
    await testbed?.stop();
  });

  it('makes the DESIGN.md example Ready, with every child owned and the status filled in', async () => {
    const registry = await testbed.waitForReady(namespace, 'main');
    const uid = registry.metadata?.uid;
    expect(registry.status).toMatchObject({
      phase: 'Ready',
      endpoint: 'main-registry.team-a.svc:5000',
      nodeEndpoint: 'localhost:5000',
      readyReplicas: 1,
      observedGeneration: registry.metadata?.generation,
      pullSecrets: { secretName: 'main-pull', namespaceCount: 1, namespaces: [namespace] },
    });
    const types = registry.status?.conditions?.map((condition) => `${condition.type}=${condition.status}`);
    expect(types).toEqual(expect.arrayContaining(['Ready=True', 'Progressing=False', 'Degraded=False', 'PullSecrets=True']));

    const owned = (object: { metadata?: { ownerReferences?: Array<{ uid?: string; controller?: boolean }> } }) =>
      object.metadata?.ownerReferences?.some((reference) => reference.uid === uid && reference.controller === true);
    const deployment = await testbed.apps.readNamespacedDeployment({ namespace, name: 'main-registry' });
    expect(owned(deployment)).toBe(true);
    expect(deployment.spec?.template.spec?.containers.map((container) => container.name).sort()).toEqual(['auth', 'registry']);
    expect(owned(await testbed.core.readNamespacedService({ namespace, name: 'main-registry' }))).toBe(true);
    expect(owned(await testbed.apps.readNamespacedDaemonSet({ namespace, name: 'main-registry-node-proxy' }))).toBe(true);
    for (const secret of ['main-registry-config', 'main-registry-auth', 'main-push', 'main-pull', 'main-registry-maintainer']) {
      expect(owned(await testbed.core.readNamespacedSecret({ namespace, name: secret })), secret).toBe(true);
    }
    // deletionPolicy Retain: the claim must outlive the Registry, so nothing owns it.
    const claim = await testbed.core.readNamespacedPersistentVolumeClaim({ namespace, name: 'main-registry-data' });
    expect(claim.status?.phase).toBe('Bound');
    expect(claim.metadata?.ownerReferences ?? []).toEqual([]);
    // serviceAccounts: [default] in the example.
    const account = await testbed.core.readNamespacedServiceAccount({ namespace, name: 'default' });
    expect(account.imagePullSecrets?.map((reference) => reference.name)).toContain('main-pull');
  });

  it('writes nothing when a reconcile finds nothing to change', async () => {
    await testbed.waitForReady(namespace, 'main');
    await settle();
    const from = Date.now();
    await testbed.reconcileNow(namespace, 'main', 'touched');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const writes = await auditedRequests(testbed.plane.auditLogFile, operatorUser, { from, to: Date.now() });
    expect(writes.map(describeRequest)).toEqual([]);
  });

  it('rolls the Deployment exactly once when the spec changes', async () => {
    const before = await testbed.apps.readNamespacedDeployment({ namespace, name: 'main-registry' });
    await settle();
    const from = Date.now();
    await testbed.client.patch(resources.registries, { namespace, name: 'main' }, 'merge', {
      spec: { resources: { requests: { cpu: '250m', memory: '256Mi' } } },
    });
    await testbed.waitForReady(namespace, 'main');
    await settle();
    const after = await testbed.apps.readNamespacedDeployment({ namespace, name: 'main-registry' });
    expect(after.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    const registryContainer = after.spec?.template.spec?.containers.find((container) => container.name === 'registry');
    expect(registryContainer?.resources?.requests).toMatchObject({ cpu: '250m', memory: '256Mi' });
    const deploymentWrites = (await auditedRequests(testbed.plane.auditLogFile, operatorUser, { from, to: Date.now() })).filter(
      (event) => event.objectRef?.resource === 'deployments',
    );
    expect(deploymentWrites.map(describeRequest)).toEqual([`patch apps/deployments ${namespace}/main-registry`]);
  });

  it('rolls the Pods when a Secret the registry env reads is updated, and only then', async () => {
    const keys = (secretAccessKey: string) => ({ metadata: { name: 'object-store' }, stringData: { accessKeyID: 'AKIAEXAMPLE', secretAccessKey } });
    await testbed.core.createNamespacedSecret({ namespace, body: keys('first') });
    await testbed.createRegistry(namespace, 'objects', {
      storage: { s3: { bucket: 'images', region: 'eu-central-1', credentialsSecretRef: { name: 'object-store' } } },
    });
    await testbed.waitForReady(namespace, 'objects');
    const deployment = () => testbed.apps.readNamespacedDeployment({ namespace, name: 'objects-registry' });
    const checksum = async () => (await deployment()).spec?.template.metadata?.annotations?.[configChecksumAnnotation];
    // The Secret is the user's, not watched: the periodic requeue finds its change, and
    // reconcileNow stands in for that timer here.
    const nudge = (value: string) => testbed.reconcileNow(namespace, 'objects', value);
    await settle();
    const before = { checksum: await checksum(), generation: (await deployment()).metadata?.generation };
    await nudge('unchanged');
    expect(await checksum()).toBe(before.checksum);

    await testbed.core.replaceNamespacedSecret({ namespace, name: 'object-store', body: keys('rotated') });
    await nudge('rotated');
    const after = await deployment();
    expect(after.spec?.template.metadata?.annotations?.[configChecksumAnnotation]).not.toBe(before.checksum);
    expect(after.metadata?.generation).toBe((before.generation ?? 0) + 1);
    expect(JSON.stringify(after)).not.toContain('rotated');
    await testbed.client.delete(resources.registries, { namespace, name: 'objects' });
  });

  it('reports a claim shrink the apiserver refuses as InvalidSpec naming the field, and sends the refused claim once', async () => {
    await testbed.waitForReady(namespace, 'main');
    await settle();
    const from = Date.now();
    const resize = (size: string) =>
      testbed.client.patch(resources.registries, { namespace, name: 'main' }, 'merge', { spec: { storage: { persistentVolumeClaim: { size } } } });
    await resize('10Gi');
    const condition = (registry: Awaited<ReturnType<typeof testbed.getRegistry>>, type: string) =>
      registry.status?.conditions?.find((candidate) => candidate.type === type);
    await eventually(async () => condition(await testbed.getRegistry(namespace, 'main'), 'Degraded')?.reason === 'InvalidSpec', {
      what: 'Degraded/InvalidSpec after shrinking the claim',
    });
    const registry = await testbed.getRegistry(namespace, 'main');
    expect(condition(registry, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(condition(registry, 'Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(condition(registry, 'Degraded')?.message).toMatch(
      /^spec\.storage\.persistentVolumeClaim\.size: the apiserver refused PersistentVolumeClaim team-a\/main-registry-data: spec\.resources\.requests\.storage: /,
    );
    expect(registry.status?.phase).toBe('Failed');

    // Events of the children and nudges wake the reconcile again; the refused claim is not re-sent.
    await testbed.reconcileNow(namespace, 'main', 'after-shrink-1');
    await testbed.reconcileNow(namespace, 'main', 'after-shrink-2');
    const claimWrites = (await auditedRequests(testbed.plane.auditLogFile, operatorUser, { from, to: Date.now() })).filter(
      (event) => event.objectRef?.resource === 'persistentvolumeclaims',
    );
    expect(claimWrites.map((event) => `${describeRequest(event)} ${event.responseStatus?.code}`)).toEqual([
      `patch persistentvolumeclaims ${namespace}/main-registry-data 422`,
    ]);

    // Putting the size back is a new generation: applied at once, and the Registry is Ready again.
    await resize('20Gi');
    const healed = await testbed.waitForReady(namespace, 'main');
    expect(condition(healed, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
  });

  it('keeps the claim of a Retain registry when the Registry is deleted, and removes it under Delete', async () => {
    await testbed.createRegistry(namespace, 'scratch', {
      storage: { persistentVolumeClaim: { size: '1Gi' }, deletionPolicy: 'Delete' },
    });
    await testbed.waitForReady(namespace, 'scratch');
    const claimOf = (name: string) => () => testbed.core.readNamespacedPersistentVolumeClaim({ namespace, name: `${name}-registry-data` });

    await testbed.client.delete(resources.registries, { namespace, name: 'scratch' });
    await testbed.waitForGone(claimOf('scratch'), 'the claim of a Delete registry to go with it');

    await testbed.client.delete(resources.registries, { namespace, name: 'main' });
    await testbed.waitForGone(() => testbed.getRegistry(namespace, 'main'), 'Registry main to be deleted');
    await testbed.waitForGone(() => testbed.apps.readNamespacedDeployment({ namespace, name: 'main-registry' }), 'the Deployment of main to be collected');
    const kept = await claimOf('main')();
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    expect(kept.status?.phase).toBe('Bound');
    // The ServiceAccount entry went with the Registry (its finalizer), the account itself stays.
    await eventually(
      async () =>
        !((await testbed.core.readNamespacedServiceAccount({ namespace, name: 'default' })).imagePullSecrets ?? []).some((r) => r.name === 'main-pull'),
      { what: 'main-pull to leave ServiceAccount default' },
    );
  });
});

/** Lets controller-manager and kwok finish reacting, so the next window sees only what a test causes. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 3_000));
}
