import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configChecksumAnnotation } from '../../../src/controllers/registry/builders/deployment.ts';
import { resources } from '../../../src/controllers/registry/resources.ts';
import type { KubeObject } from '../../../src/runtime/resource.ts';
import { auditedRequests, describeRequest } from '../../support/audit-log.ts';
import { eventually } from '../../support/eventually.ts';
import { operatorUser, RegistryTestbed } from './testbed.ts';

const namespace = 'team-s3';
const s3 = {
  bucket: 'images',
  region: 'eu-central-1',
  endpoint: 'http://objects.invalid:9000',
  forcePathStyle: true,
  credentialsSecretRef: { name: 'object-store' },
};
const keys = (secretAccessKey: string) => ({ metadata: { name: 'object-store' }, stringData: { accessKeyID: 'AKIAEXAMPLE', secretAccessKey } });

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 3_000));
}

// Issue 15 on the control plane: a Registry with several replicas on object storage, reconciled
// by the real operator (kwok runs the Pods; the S3 endpoint is never dialled here: the registry
// processes against a real bucket are test/integration/object-storage/).
describe.skipIf(inject('externalCluster'))('Registry with several replicas', () => {
  let testbed: RegistryTestbed;
  const budget = () => testbed.client.get<V1PodDisruptionBudget & KubeObject>(resources.podDisruptionBudgets, { namespace, name: 'shared-registry' });
  const deployment = () => testbed.apps.readNamespacedDeployment({ namespace, name: 'shared-registry' });

  beforeAll(async () => {
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: '' });
    await testbed.createNamespace(namespace);
    await testbed.core.createNamespacedSecret({ namespace, body: keys('first') });
    await testbed.createRegistry(namespace, 'shared', { replicas: 2, storage: { s3 } });
  });

  afterAll(async () => {
    await testbed?.stop();
  });

  it('rolls one Pod at a time, spreads the Pods over nodes, and lets a drain take one at a time', async () => {
    const registry = await testbed.waitForReady(namespace, 'shared');
    expect(registry.status?.readyReplicas).toBe(2);
    const live = await deployment();
    expect(live.spec?.replicas).toBe(2);
    expect(live.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(live.spec?.template.spec?.topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', maxSkew: 1, labelSelector: { matchLabels: live.spec?.selector.matchLabels } }),
    ]);
    const pdb = await budget();
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: live.spec?.selector.matchLabels } });
    expect(pdb.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Registry', name: 'shared', controller: true });
    // The disruption controller counts the Deployment's Pods under the budget: the selector is right.
    await eventually(async () => (await budget()).status?.expectedPods === 2 && (await budget()).status?.disruptionsAllowed === 1, {
      what: 'the budget to count 2 Pods and allow 1 disruption',
    });
  });

  it('rolls the Pods once per rotation of the S3 credentials Secret, and not without one', async () => {
    const checksum = async () => (await deployment()).spec?.template.metadata?.annotations?.[configChecksumAnnotation];
    await testbed.waitForReady(namespace, 'shared');
    await settle();
    const from = Date.now();
    const seen = [await checksum()];
    const generations = [(await deployment()).metadata?.generation ?? 0];
    for (const value of ['second', 'third']) {
      await testbed.reconcileNow(namespace, 'shared', `before-${value}`);
      expect(await checksum()).toBe(seen.at(-1));
      await testbed.core.replaceNamespacedSecret({ namespace, name: 'object-store', body: keys(value) });
      await testbed.reconcileNow(namespace, 'shared', value);
      // A reconcile that an earlier event started may be the one reconcileNow saw end: wait for
      // the one that read the new Secret. The audit log below says how many writes it took.
      const previous = seen.at(-1);
      seen.push(await eventually(async () => ((await checksum()) !== previous ? await checksum() : undefined), { what: `the rotation to ${value}` }));
      generations.push((await deployment()).metadata?.generation ?? 0);
    }
    expect(new Set(seen).size).toBe(3);
    expect(generations).toEqual([generations[0]!, generations[0]! + 1, generations[0]! + 2]);
    const deploymentWrites = (await auditedRequests(testbed.plane.auditLogFile, operatorUser, { from, to: Date.now() })).filter(
      (event) => event.objectRef?.resource === 'deployments',
    );
    expect(deploymentWrites.map(describeRequest)).toEqual(Array(2).fill(`patch apps/deployments ${namespace}/shared-registry`));
    expect(JSON.stringify(await deployment())).not.toMatch(/second|third/);
  });

  it('removes the disruption budget when scaled down to one replica, without replacing the running Pod template', async () => {
    const before = (await deployment()).spec?.template;
    await testbed.client.patch(resources.registries, { namespace, name: 'shared' }, 'merge', { spec: { replicas: 1 } });
    await testbed.waitForGone(budget, 'the disruption budget to go');
    const after = await deployment();
    expect(after.spec?.replicas).toBe(1);
    expect(after.spec?.template).toEqual(before);
  });

  it('is refused by the apiserver on a ReadWriteOnce claim, with a message that says why', async () => {
    const refusal = await testbed
      .createRegistry(namespace, 'single', { replicas: 2, storage: { persistentVolumeClaim: { size: '1Gi' } } })
      .catch((error: unknown) => error);
    expect(String(refusal)).toContain('more than one replica needs shared storage: s3, or a persistentVolumeClaim with accessMode ReadWriteMany');
  });
});
