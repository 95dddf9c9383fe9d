import { AppsV1Api, BatchV1Api, CoreV1Api, VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { adminKubeConfig, createTestNamespace, isNotFound } from '../support/kube.ts';

// These tests prove the local control plane behaves like a real cluster in the ways the operator
// depends on: controllers act, the scheduler places Pods, kwok runs them, claims bind, and the
// garbage collector follows ownerReferences. They test the harness, so a real cluster skips them.
describe.skipIf(inject('externalCluster'))('local control plane', () => {
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let batch: BatchV1Api;
  let namespace: string;
  let removeNamespace: () => Promise<void>;

  beforeAll(async () => {
    kubeConfig = adminKubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    apps = kubeConfig.makeApiClient(AppsV1Api);
    batch = kubeConfig.makeApiClient(BatchV1Api);
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kubeConfig, 'control-plane'));
  });

  afterAll(async () => {
    await removeNamespace?.();
  });

  it('reports the Kubernetes version it was built from', async () => {
    const version = await kubeConfig.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.3[23]\.\d+$/);
    expect(version.gitTreeState).toBe('clean');
  });

  it('runs a Deployment: Pods are scheduled, kwok marks them Running, replicas become available', async () => {
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] } },
        },
      },
    });
    const deployment = await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
        return d.status?.availableReplicas === 2 ? d : undefined;
      },
      { what: 'Deployment web to report 2 available replicas', timeoutMs: 60_000 },
    );
    expect(deployment.status?.readyReplicas).toBe(2);

    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status?.podIP).toBeTruthy();
    }
  });

  it('binds a claim of the default StorageClass once a Pod uses it, and runs that Pod', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    // WaitForFirstConsumer: no consumer yet, so the claim must stay Pending.
    const pending = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace });
    expect(pending.spec?.storageClassName).toBe('standard');
    expect(pending.status?.phase).toBe('Pending');

    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'uses-data' },
        spec: {
          containers: [{ name: 'app', image: 'registry.example/app:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
        },
      },
    });
    const claim = await eventually(
      async () => {
        const c = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace });
        return c.status?.phase === 'Bound' ? c : undefined;
      },
      { what: 'claim data to bind', timeoutMs: 60_000 },
    );
    const volume = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
    expect(volume.spec?.claimRef?.uid).toBe(claim.metadata?.uid);

    const pod = await eventually(
      async () => {
        const p = await core.readNamespacedPod({ name: 'uses-data', namespace });
        return p.status?.phase === 'Running' ? p : undefined;
      },
      { what: 'Pod uses-data to run', timeoutMs: 60_000 },
    );
    const pinnedNode = volume.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values?.[0];
    expect(pod.spec?.nodeName).toBe(pinnedNode);
  });

  it('garbage-collects a child when its owner is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'child',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid!, controller: true }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace, propagationPolicy: 'Background' });
    await eventually(
      () =>
        core.readNamespacedConfigMap({ name: 'child', namespace }).then(
          () => false,
          (error: unknown) => isNotFound(error),
        ),
      { what: 'the garbage collector to delete ConfigMap child', timeoutMs: 60_000 },
    );
  });

  it('runs a CronJob: the controller creates a Job whose Pod completes', async () => {
    await batch.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'tick' },
        spec: {
          schedule: '* * * * *',
          jobTemplate: {
            spec: {
              template: { spec: { restartPolicy: 'Never', containers: [{ name: 'tick', image: 'registry.example/tick:1' }] } },
            },
          },
        },
      },
    });
    // The CronJob controller fires on the next minute boundary, so allow for a whole minute.
    const job = await eventually(
      async () => {
        const jobs = await batch.listNamespacedJob({ namespace });
        return jobs.items.find((j) => j.status?.succeeded === 1);
      },
      { what: 'a Job of CronJob tick to succeed', timeoutMs: 100_000, intervalMs: 1_000 },
    );
    expect(job.metadata?.ownerReferences?.[0]?.kind).toBe('CronJob');
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job.metadata?.name}` });
    expect(pods.items.map((p) => p.status?.phase)).toContain('Succeeded');
  });
});
