import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../src/runtime/kube-client.ts';
import type { KubeObject } from '../../src/runtime/resource.ts';
import { auditedRequests, describeRequest } from '../support/audit-log.ts';
import { eventually } from '../support/eventually.ts';
import { operatorUser, RegistryTestbed } from './registry/testbed.ts';

const run = promisify(execFile);
/** The CRDs of the last release that landed (main at 4c961e6), as users have them installed. */
const previousCrds = new URL('../support/fixtures/release-4c961e6/crds.yaml', import.meta.url).pathname;
const namespace = 'upgraded';
const registries = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'Registry', plural: 'registries', namespaced: true } as const;
const policies = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'RetentionPolicy', plural: 'retentionpolicies', namespaced: true } as const;

type Observed = KubeObject & { status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> } };

// An upgrade as a cluster goes through it: the previous release's CRDs and objects are in place,
// the current CRDs are applied over them, and the current operator starts. Existing objects must
// still read, reconcile to a status, and then leave the apiserver alone.
describe.skipIf(inject('externalCluster'))('an upgrade from the previous release', () => {
  let testbed: RegistryTestbed;
  let client: KubeClient;

  beforeAll(async () => {
    testbed = await RegistryTestbed.start(inject('binDir'), {
      pullSecretSources: '',
      beforeInstall: async (plane) => {
        await run('kubectl', ['apply', '--server-side', '--field-manager=previous-release', '-f', previousCrds, '--kubeconfig', plane.kubeconfigPath]);
        await run('kubectl', ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s', '--kubeconfig', plane.kubeconfigPath]);
        const old = new KubeClient(plane.kubeConfig());
        await old.create(
          { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        );
        await old.create(registries, {
          apiVersion: 'dockyard.dev/v1alpha1',
          kind: 'Registry',
          metadata: { name: 'main', namespace },
          spec: { storage: { emptyDir: {} }, pullSecrets: { serviceAccounts: ['default'] } },
        } as KubeObject);
        await old.create(policies, {
          apiVersion: 'dockyard.dev/v1alpha1',
          kind: 'RetentionPolicy',
          metadata: { name: 'nightly', namespace },
          spec: { registryRef: { name: 'main' }, repositories: ['apps/**'], schedule: '0 3 * * *', rules: [{ mostRecentlyPushed: 5 }] },
        } as KubeObject);
      },
    });
    client = new KubeClient(testbed.kubeConfig);
  });

  afterAll(async () => {
    await testbed?.stop();
  });

  it('reconciles the objects made under the previous CRDs, then writes nothing more', async () => {
    for (const [resource, name] of [
      [registries, 'main'],
      [policies, 'nightly'],
    ] as const) {
      const object = await eventually(
        async () => {
          const current = await client.get<Observed>(resource, { namespace, name });
          return current.status?.observedGeneration === current.metadata?.generation &&
            current.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
            ? current
            : undefined;
        },
        { what: `${resource.kind} ${name} to be Ready under the current operator`, timeoutMs: 60_000 },
      );
      expect(object.metadata?.name).toBe(name);
    }
    // Past the first reconciles: nudge both, and count the operator's writes for 20 s.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const from = Date.now();
    for (const resource of [registries, policies]) {
      const list = await client.list(resource, { namespace });
      for (const object of list.items) {
        await client.patch(resource, { namespace, name: object.metadata?.name ?? '' }, 'merge', {
          metadata: { labels: { 'test.dockyard.dev/nudge': 'after-upgrade' } },
        });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const writes = await auditedRequests(testbed.plane.auditLogFile, operatorUser, { from, to: Date.now() });
    expect(writes.map(describeRequest)).toEqual([]);
  }, 120_000);
});
