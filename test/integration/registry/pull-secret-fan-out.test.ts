import type { V1ServiceAccount } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resources } from '../../../src/controllers/registry/resources.ts';
import { isNotFound } from '../../../src/runtime/errors.ts';
import { coreResources, type KubeObject } from '../../../src/runtime/resource.ts';
import { eventually } from '../../support/eventually.ts';
import { RegistryTestbed } from './testbed.ts';

// The source namespace may fan out (it is in --pull-secret-sources); the tenant may not.
const source = 'platform';
const tenant = 'tenant-x';
const selectorLabel = 'pulls-from';

describe.skipIf(inject('externalCluster'))('pull Secret fan-out', () => {
  let testbed: RegistryTestbed;

  const secretIn = (namespace: string) => testbed.core.readNamespacedSecret({ namespace, name: 'shared-pull' });
  const hasSecret = (namespace: string) =>
    secretIn(namespace).then(
      () => true,
      (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
    );
  const pullSecretsOf = async (namespace: string, name: string) =>
    ((await testbed.core.readNamespacedServiceAccount({ namespace, name })).imagePullSecrets ?? []).map((reference) => reference.name);
  const label = (namespace: string, value: string | null) =>
    testbed.core.patchNamespace({
      name: namespace,
      body: [{ op: value === null ? 'remove' : 'add', path: `/metadata/labels/${selectorLabel}`, ...(value === null ? {} : { value }) }],
    });

  beforeAll(async () => {
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: source });
    for (const namespace of [source, tenant, 'app-1', 'app-2']) await testbed.createNamespace(namespace);
    // A ServiceAccount that already pulls from elsewhere: its entry must survive everything below.
    const builder: V1ServiceAccount = { metadata: { name: 'builder' }, imagePullSecrets: [{ name: 'other-registry' }] };
    await testbed.core.createNamespacedServiceAccount({ namespace: 'app-1', body: builder });
    await testbed.createRegistry(source, 'shared', {
      storage: { emptyDir: {} },
      pullSecrets: { namespaceSelector: { matchLabels: { [selectorLabel]: source } }, serviceAccounts: ['builder'] },
    });
    await testbed.waitForReady(source, 'shared');
  });

  afterAll(async () => {
    await testbed?.stop();
  });

  it('places the Secret in a namespace once it is labelled, and adds it to the named ServiceAccount beside other entries', async () => {
    expect(await hasSecret('app-1')).toBe(false);
    await label('app-1', source);
    await eventually(() => hasSecret('app-1'), { what: 'shared-pull to appear in app-1' });
    const copy = await secretIn('app-1');
    expect(copy.type).toBe('kubernetes.io/dockerconfigjson');
    expect(Object.keys(copy.data ?? {})).toEqual(['.dockerconfigjson']);
    const auths = JSON.parse(Buffer.from(copy.data!['.dockerconfigjson']!, 'base64').toString()).auths as Record<string, unknown>;
    expect(Object.keys(auths)).toContain('shared-registry.platform.svc:5000');
    await eventually(async () => (await pullSecretsOf('app-1', 'builder')).includes('shared-pull'), { what: 'shared-pull on ServiceAccount builder' });
    expect(await pullSecretsOf('app-1', 'builder')).toEqual(['other-registry', 'shared-pull']);
  });

  it('reaches a namespace created later with the label', async () => {
    await testbed.createNamespace('app-3', { [selectorLabel]: source });
    await eventually(() => hasSecret('app-3'), { what: 'shared-pull to appear in new namespace app-3' });
    const registry = await eventually(
      async () => {
        const current = await testbed.getRegistry(source, 'shared');
        return current.status?.pullSecrets?.namespaceCount === 3 ? current : undefined;
      },
      { what: 'the status to count platform, app-1 and app-3' },
    );
    expect(registry.status?.pullSecrets?.namespaces).toEqual([source, 'app-1', 'app-3']);
  });

  it('takes the Secret and only its own ServiceAccount entry away when the namespace stops matching', async () => {
    await label('app-1', null);
    await eventually(async () => !(await hasSecret('app-1')), { what: 'shared-pull to leave app-1' });
    await eventually(async () => !(await pullSecretsOf('app-1', 'builder')).includes('shared-pull'), { what: 'shared-pull to leave builder' });
    expect(await pullSecretsOf('app-1', 'builder')).toEqual(['other-registry']);
    expect(await hasSecret('app-2')).toBe(false);
  });

  it('keeps a tenant Registry to its own namespace and says why', async () => {
    await label('app-2', tenant);
    await testbed.createRegistry(tenant, 'own', {
      storage: { emptyDir: {} },
      pullSecrets: { secretName: 'shared-pull', namespaceSelector: { matchLabels: { [selectorLabel]: tenant } } },
    });
    const registry = await testbed.waitForReady(tenant, 'own');
    const condition = registry.status?.conditions?.find((c) => c.type === 'PullSecrets');
    expect(condition).toMatchObject({ status: 'False', reason: 'CrossNamespaceNotAllowed' });
    expect(condition?.message).toContain('app-2');
    expect(await hasSecret(tenant)).toBe(true);
    expect(await hasSecret('app-2')).toBe(false);
  });

  it('lets Registries add their Secrets to one ServiceAccount at once, while others edit it too, without a Warning', async () => {
    // Four Registries asking for the same ServiceAccount at the same moment, each patching it
    // from a cache that lags the others' writes, and a fifth writer (a user, another controller)
    // appending entries meanwhile: every `test`-guarded patch races. A lost race is retried at once.
    const namespace = 'crowd';
    await testbed.createNamespace(namespace);
    await testbed.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'deployer' }, imagePullSecrets: [{ name: 'preexisting' }] } });
    const names = ['r1', 'r2', 'r3', 'r4'];
    for (const name of names) await testbed.createRegistry(namespace, name, { storage: { emptyDir: {} } });
    for (const name of names) await testbed.waitForReady(namespace, name);
    const logsBefore = testbed.operator.logs.length;
    let editing = true;
    const otherWriter = (async () => {
      for (let index = 0; editing; index++) {
        await testbed.core.patchNamespacedServiceAccount({
          namespace,
          name: 'deployer',
          body: [{ op: 'add', path: '/imagePullSecrets/-', value: { name: `other-${index}` } }],
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await Promise.all(
        names.map((name) =>
          testbed.client.patch(resources.registries, { namespace, name }, 'merge', { spec: { pullSecrets: { serviceAccounts: ['deployer'] } } }),
        ),
      );
      await eventually(
        async () => {
          const entries = await pullSecretsOf(namespace, 'deployer');
          return names.every((name) => entries.includes(`${name}-pull`));
        },
        { what: 'every Registry pull Secret on ServiceAccount deployer', timeoutMs: 60_000 },
      );
    } finally {
      editing = false;
      await otherWriter;
    }
    const entries = await pullSecretsOf(namespace, 'deployer');
    // Nobody's entry was lost or doubled.
    expect(entries.filter((entry) => entry?.endsWith('-pull')).sort()).toEqual(names.map((name) => `${name}-pull`));
    expect(new Set(entries).size).toBe(entries.length);
    expect(entries[0]).toBe('preexisting');
    const logs = testbed.operator.logs.slice(logsBefore);
    expect(JSON.stringify(logs)).not.toContain('the server rejected our request');
    const events = await testbed.client.list<KubeObject & { reason?: string; note?: string; type?: string }>(coreResources.events, { namespace });
    expect(events.items.filter((event) => event.type === 'Warning').map((event) => `${event.reason}: ${event.note}`)).toEqual([]);
    // The races did happen, and were retried.
    expect(logs.filter((line) => line.msg === 'ServiceAccount changed since it was read; patching it again on a fresh read').length).toBeGreaterThan(0);
  });

  it('withdraws every copy when the Registry is deleted', async () => {
    expect(await hasSecret('app-3')).toBe(true);
    await testbed.client.delete(resources.registries, { namespace: source, name: 'shared' });
    await testbed.waitForGone(() => testbed.getRegistry(source, 'shared'), 'Registry shared to be deleted (its finalizer done)');
    expect(await hasSecret('app-3')).toBe(false);
  });
});
