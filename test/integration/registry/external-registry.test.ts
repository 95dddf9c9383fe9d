import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistrySpec } from '../../../src/api/v1alpha1/registry.ts';
import { childNames } from '../../../src/controllers/common/registry-children.ts';
import { credentialSecretKeys } from '../../../src/registry-auth/pod-contract.ts';
import { isNotFound } from '../../../src/runtime/errors.ts';
import { planCredentials, type CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import { DockyardRegistry, type RunningAuthServer } from '../../registry/dockyard-registry.ts';
import { eventually } from '../../support/eventually.ts';
import { decodeSecretData } from '../../support/secret-volume.ts';
import { RegistryTestbed, type RegistryObject } from './testbed.ts';

// spec.external against a real registry that "runs elsewhere": distribution 3 behind a token
// service on loopback, which the operator (a process on this host) reaches like any URL.
const owner = 'ext-owner';
const consumer = 'ext-consumer';
const name = 'outside';
const credentialsSecret = 'upstream-credentials';

describe.skipIf(inject('externalCluster'))('an external registry', () => {
  let testbed: RegistryTestbed;
  let upstream: DockyardRegistry;
  let front: RunningAuthServer;
  let plan: CredentialPlan;
  let host: string;

  const conditions = (registry: RegistryObject) => Object.fromEntries((registry.status?.conditions ?? []).map((condition) => [condition.type, condition]));
  /** The Secret it reads and the remote registry are not watched: stands in for the recheck timer. */
  const nudge = (value: string) => testbed.reconcileNow(owner, name, value);
  const setPassword = (password: string) =>
    testbed.core.replaceNamespacedSecret({
      namespace: owner,
      name: credentialsSecret,
      body: { metadata: { name: credentialsSecret }, stringData: { username: plan.credentials.pull.published.username, password } },
    });
  const waitForCondition = (what: string, check: (registry: RegistryObject) => boolean) =>
    eventually(
      async () => {
        const registry = await testbed.getRegistry(owner, name);
        return check(registry) ? registry : undefined;
      },
      { what, timeoutMs: 30_000 },
    );

  beforeAll(async () => {
    plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
    upstream = await DockyardRegistry.start({
      flavor: 'distribution-3',
      binDir: inject('binDir'),
      spec: RegistrySpec.parse({ storage: { emptyDir: {} } }),
      namespace: 'elsewhere',
      name: 'upstream',
      credentials: plan,
    });
    front = await upstream.startAuthServer();
    host = new URL(front.url).host;
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: owner });
    await testbed.createNamespace(owner);
    await testbed.createNamespace(consumer, { 'pulls-from': owner });
    await testbed.core.createNamespacedSecret({
      namespace: owner,
      body: { metadata: { name: credentialsSecret }, stringData: { username: 'placeholder', password: 'placeholder' } },
    });
    await setPassword(plan.credentials.pull.published.password);
    await testbed.createRegistry(owner, name, {
      external: { url: front.url, credentialsSecretRef: { name: credentialsSecret } },
      pullSecrets: { namespaceSelector: { matchLabels: { 'pulls-from': owner } } },
    });
  });

  afterAll(async () => {
    await testbed?.stop();
    await upstream?.stop();
  });

  it('becomes Ready through the token challenge, deploys nothing, and fans the credentials out', async () => {
    const registry = await testbed.waitForReady(owner, name);
    expect(registry.status?.endpoint).toBe(host);
    expect(conditions(registry)['Ready']?.message).toContain('HTTP 200');
    const copy = await eventually(() => testbed.core.readNamespacedSecret({ namespace: consumer, name: childNames(name).pull }).catch(() => undefined), {
      what: 'the pull Secret in the consumer namespace',
      timeoutMs: 30_000,
    });
    const auths = (
      JSON.parse(decodeSecretData(copy.data ?? {})[credentialSecretKeys.dockerConfig]!) as { auths: Record<string, { username: string; password: string }> }
    ).auths;
    expect(Object.keys(auths)).toEqual([host]);
    expect(auths[host]).toMatchObject(plan.credentials.pull.published);
    for (const read of [
      () => testbed.apps.readNamespacedDeployment({ namespace: owner, name: childNames(name).workload }),
      () => testbed.core.readNamespacedService({ namespace: owner, name: childNames(name).workload }),
    ]) {
      await expect(read()).rejects.toSatisfy(isNotFound);
    }
  });

  it('turns Degraded/Unauthorized with the HTTP status when the credentials stop working, and Ready again when fixed', async () => {
    await setPassword(`${plan.credentials.pull.published.password}-wrong`);
    await nudge('wrong-password');
    const refused = await waitForCondition('Degraded/Unauthorized', (registry) => conditions(registry)['Degraded']?.reason === 'Unauthorized');
    expect(conditions(refused)['Ready']).toMatchObject({ status: 'False', reason: 'Unauthorized' });
    expect(conditions(refused)['Degraded']?.message).toContain('HTTP 401');
    expect(refused.status?.phase).toBe('Degraded');
    expect(JSON.stringify(refused.status)).not.toContain(plan.credentials.pull.published.password);

    await setPassword(plan.credentials.pull.published.password);
    await nudge('fixed');
    await waitForCondition('Ready again', (registry) => conditions(registry)['Ready']?.status === 'True');
  });

  it('turns Degraded/Unreachable when nothing answers at the URL', async () => {
    await front.process.stop();
    await nudge('stopped');
    const unreachable = await waitForCondition('Degraded/Unreachable', (registry) => conditions(registry)['Degraded']?.reason === 'Unreachable');
    expect(conditions(unreachable)['Ready']?.status).toBe('False');
    expect(conditions(unreachable)['Degraded']?.message).toContain(host);
  });
});
