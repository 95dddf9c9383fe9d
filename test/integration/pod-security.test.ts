import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1PodSpec } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Registry } from '../../src/api/v1alpha1/registry.ts';
import { RetentionPolicySpec } from '../../src/api/v1alpha1/retention-policy.ts';
import { registryDeployment } from '../../src/controllers/registry/builders/deployment.ts';
import { nodeProxyDaemonSet } from '../../src/controllers/registry/builders/node-proxy-daemon-set.ts';
import { retentionCronJob } from '../../src/controllers/retention-policy/cron-job.ts';
import { KubeClient } from '../../src/runtime/kube-client.ts';
import type { KubeObject } from '../../src/runtime/resource.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { deploymentInputs } from '../support/registries.ts';

const run = promisify(execFile);
const helm = inject('binDir') ? join(inject('binDir'), 'helm') : 'helm';

// Every Pod Dockyard starts, as its builders and the chart make it, created (dry run) in a
// namespace that enforces the Pod Security Standards' "restricted" profile: the apiserver's
// own admission decides, not a reading of our securityContext.
describe('Pod Security: restricted', () => {
  let namespace: string;
  let remove: () => Promise<void>;
  let client: KubeClient;

  // The ServiceAccounts the specs name do not exist here, and Pod Security does not look at them.
  const admit = (name: string, spec: V1PodSpec | undefined) =>
    client.request('POST' as never, `/api/v1/namespaces/${namespace}/pods`, {
      query: { dryRun: 'All' },
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { ...spec, serviceAccountName: undefined } },
    });

  beforeAll(async () => {
    const kubeConfig = adminKubeConfig();
    ({ name: namespace, remove } = await createTestNamespace(kubeConfig, 'restricted'));
    client = new KubeClient(kubeConfig);
    await client.patch({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false }, { name: namespace }, 'merge', {
      metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } },
    });
  });

  afterAll(async () => {
    await remove?.();
  });

  it('refuses a Pod that runs as root (the check can fail)', async () => {
    await expect(admit('rooted', { containers: [{ name: 'main', image: 'busybox' }] })).rejects.toMatchObject({ code: 403 });
  });

  it('admits the registry Pod, on a claim and on S3', async () => {
    for (const spec of [
      { storage: { persistentVolumeClaim: { size: '1Gi' } } },
      { storage: { s3: { bucket: 'images', region: 'eu-central-1', credentialsSecretRef: { name: 's3' } } } },
    ]) {
      const registry = Registry.parse({ apiVersion: 'dockyard.dev/v1alpha1', kind: 'Registry', metadata: { name: 'main', namespace, uid: 'u' }, spec });
      await admit('registry', registryDeployment(registry, deploymentInputs).spec?.template.spec);
    }
  });

  it('admits a retention run', async () => {
    const cronJob = retentionCronJob({
      policy: {
        namespace,
        name: 'nightly',
        spec: RetentionPolicySpec.parse({ registryRef: { name: 'main' }, repositories: ['**'], schedule: '@daily', rules: [{ always: true }] }),
      },
      cronJobName: 'retention-nightly',
      jobsNamespace: namespace,
      image: 'dockyard:test',
      serviceAccountName: 'default',
      registry: { url: 'http://main-registry.team.svc.cluster.local:5000', hosts: ['main-registry.team.svc:5000'] },
      credentialsSecretName: 'retention-nightly-credentials',
    });
    await admit('retention', cronJob.spec?.jobTemplate.spec?.template.spec);
  });

  it("refuses the node proxy, which binds the node's loopback, and says so: it belongs in a privileged namespace", async () => {
    const registry = Registry.parse({
      apiVersion: 'dockyard.dev/v1alpha1',
      kind: 'Registry',
      metadata: { name: 'main', namespace, uid: 'u' },
      spec: { storage: { emptyDir: {} }, nodeAccess: { hostPort: 5001 } },
    });
    const daemonSet = nodeProxyDaemonSet(registry, { operatorImage: 'dockyard:test' });
    await expect(admit('node-proxy', daemonSet?.spec?.template.spec)).rejects.toMatchObject({ code: 403 });
  });

  it.skipIf(!existsSync(helm) && helm !== 'helm')("admits the chart's operator Pod and its helm test Pod", async () => {
    const { stdout } = await run(helm, ['template', 'dockyard', new URL('../../charts/dockyard', import.meta.url).pathname, '--namespace', namespace]);
    const objects = parseAllDocuments(stdout).map((document) => document.toJS() as KubeObject & { spec?: { template?: { spec?: V1PodSpec } } & V1PodSpec });
    const operator = objects.find((object) => object.kind === 'Deployment');
    await admit('operator', operator?.spec?.template?.spec);
    const test = objects.find((object) => object.kind === 'Pod');
    await admit('helm-test', test?.spec as V1PodSpec);
  });
});
