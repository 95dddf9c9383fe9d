import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { group, Registry, version } from '../../src/api/v1alpha1/index.ts';
import { registryDeployment } from '../../src/controllers/registry/builders/deployment.ts';
import { endpoints } from '../../src/controllers/common/registry-endpoints.ts';
import { registryIngress } from '../../src/controllers/registry/builders/ingress.ts';
import { nodeProxyDaemonSet } from '../../src/controllers/registry/builders/node-proxy-daemon-set.ts';
import { persistentVolumeClaim } from '../../src/controllers/registry/builders/persistent-volume-claim.ts';
import { pullSecretCopy } from '../../src/controllers/registry/builders/pull-secret.ts';
import { canonicalQuantity } from '../../src/controllers/registry/builders/quantity.ts';
import { imagePullSecretsPatch } from '../../src/controllers/registry/builders/service-account-pull-secret.ts';
import { registryService } from '../../src/controllers/registry/builders/service.ts';
import { applyObject } from '../../src/runtime/apply.ts';
import { KubeClient } from '../../src/runtime/kube-client.ts';
import type { KubeObject, ResourceType } from '../../src/runtime/resource.ts';
import { installDockyardCrds } from '../support/crds.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { resources } from '../../src/controllers/registry/resources.ts';
import { dockyardSamples } from '../support/samples.ts';
import { canonicalQuantities } from '../support/canonical-quantities.ts';
import { deploymentInputs } from '../support/registries.ts';

describe('the registry builders against a real apiserver', () => {
  let kubeConfig: KubeConfig;
  let client: KubeClient;
  let core: CoreV1Api;
  let namespace: string;
  let otherNamespace: string;
  const removals: (() => Promise<void>)[] = [];

  /** Creates a Registry in the test namespace and returns it as the operator reads it (with its uid). */
  async function createRegistry(name: string, spec: Record<string, unknown>): Promise<Registry> {
    const objects = kubeConfig.makeApiClient(CustomObjectsApi);
    const created: unknown = await objects.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: 'registries',
      body: { apiVersion: `${group}/${version}`, kind: 'Registry', metadata: { name, namespace }, spec },
    });
    return Registry.parse(created);
  }

  const sampleSpec = (file: string) => {
    const sample = dockyardSamples().find((candidate) => candidate.file === file && candidate.object.kind === 'Registry');
    if (sample === undefined) throw new Error(`no Registry in ${file}`);
    return sample.object.spec;
  };

  /**
   * Applies `object` as the operator does (server-side apply, strict field validation), then
   * applies it again against what the apiserver returned: the second apply must find nothing to
   * change. That holds only if the builder writes every value in the form the apiserver stores.
   */
  async function applyTwice<T extends KubeObject>(resource: ResourceType, object: T | undefined): Promise<T> {
    if (object === undefined) throw new Error(`the builder made no ${resource.kind}`);
    const first = await applyObject(client, resource, object);
    expect(first.written).toBe(true);
    const second = await applyObject(client, resource, object, { live: first.object });
    expect(second.written, `${resource.kind} ${object.metadata?.name} looked changed right after being applied`).toBe(false);
    return first.object;
  }

  beforeAll(async () => {
    kubeConfig = adminKubeConfig();
    client = new KubeClient(kubeConfig);
    core = kubeConfig.makeApiClient(CoreV1Api);
    await installDockyardCrds(kubeConfig, 'dockyard-builders-test');
    const own = await createTestNamespace(kubeConfig, 'builders');
    const other = await createTestNamespace(kubeConfig, 'builders-copy');
    namespace = own.name;
    otherNamespace = other.name;
    removals.push(own.remove, other.remove);
  });

  afterAll(async () => {
    for (const remove of removals) await remove();
  });

  it('accepts every child of the DESIGN.md example, each applied once and then found unchanged', async () => {
    const main = await createRegistry('main', sampleSpec('registry-pvc.yaml'));
    const deployment = await applyTwice(resources.deployments, registryDeployment(main, deploymentInputs));
    expect(deployment.metadata?.ownerReferences?.[0]?.uid).toBe(main.metadata.uid);
    await applyTwice(resources.services, registryService(main));
    const claim = await applyTwice(resources.claims, persistentVolumeClaim(main));
    expect(claim.metadata?.ownerReferences).toBeUndefined();
    await applyTwice(resources.daemonSets, nodeProxyDaemonSet(main, { operatorImage: deploymentInputs.operatorImage }));
    const credential = { username: 'pull', password: 'secret-password' };
    await applyTwice(resources.secrets, pullSecretCopy(main, { namespace: otherNamespace, hosts: endpoints(main).hosts, credential }));
  });

  it('accepts the s3, TLS and Ingress variant (sample registry-s3.yaml)', async () => {
    const shared = await createRegistry('shared', sampleSpec('registry-s3.yaml'));
    await applyTwice(resources.deployments, registryDeployment(shared, deploymentInputs));
    await applyTwice(resources.services, registryService(shared));
    await applyTwice(resources.ingresses, registryIngress(shared));
  });

  it('accepts a Delete claim, non-canonical quantities, a NodePort Service and a root node proxy on port 80', async () => {
    const edge = await createRegistry('edge', {
      storage: { persistentVolumeClaim: { size: '1024Mi' }, deletionPolicy: 'Delete' },
      resources: { requests: { cpu: '0.5', memory: '1000000Ki' }, limits: { memory: '1.5Gi' } },
      service: { type: 'NodePort' },
      nodeAccess: { hostPort: 80 },
    });
    const claim = await applyTwice(resources.claims, persistentVolumeClaim(edge));
    expect(claim.metadata?.ownerReferences?.[0]).toMatchObject({ uid: edge.metadata.uid, controller: true });
    await applyTwice(resources.deployments, registryDeployment(edge, deploymentInputs));
    await applyTwice(resources.services, registryService(edge));
    await applyTwice(resources.daemonSets, nodeProxyDaemonSet(edge, { operatorImage: deploymentInputs.operatorImage }));
  });

  it.each(canonicalQuantities)('stores the quantity %j as canonicalQuantity writes it (%s)', async (input) => {
    const created = await core.createNamespacedPersistentVolumeClaim({
      namespace,
      dryRun: 'All',
      body: { metadata: { name: 'quantity' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: String(input) } } } },
    });
    expect(created.spec?.resources?.requests?.['storage']).toBe(canonicalQuantity(input));
  });

  it("adds and removes a ServiceAccount's pull Secret with guarded JSON Patches, keeping other entries", async () => {
    const name = 'builder';
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    const patch = (body: object[]) => core.patchNamespacedServiceAccount({ namespace, name, body });

    // No list yet: the null test must pass on the absent member.
    let account = await core.readNamespacedServiceAccount({ namespace, name });
    account = await patch(imagePullSecretsPatch(account, 'main-pull', true));
    expect(account.imagePullSecrets).toEqual([{ name: 'main-pull' }]);

    // Someone else adds an entry; ours is removed, theirs stays.
    account = await patch([{ op: 'add', path: '/imagePullSecrets/-', value: { name: 'corp-mirror' } }]);
    const stale = account;
    account = await patch(imagePullSecretsPatch(account, 'main-pull', false));
    expect(account.imagePullSecrets).toEqual([{ name: 'corp-mirror' }]);

    // A patch computed from an outdated read is refused as a whole.
    await expect(patch(imagePullSecretsPatch(stale, 'main-pull', false))).rejects.toMatchObject({ code: 422 });
    expect((await core.readNamespacedServiceAccount({ namespace, name })).imagePullSecrets).toEqual([{ name: 'corp-mirror' }]);
  });
});
