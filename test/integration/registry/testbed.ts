import { readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import type { RegistryStatus } from '../../../src/api/v1alpha1/registry.ts';
import { resources } from '../../../src/controllers/registry/resources.ts';
import { isNotFound } from '../../../src/runtime/errors.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import type { KubeObject } from '../../../src/runtime/resource.ts';
import { LocalControlPlane } from '../../cluster/control-plane.ts';
import { installDockyardCrds } from '../../support/crds.ts';
import { eventually } from '../../support/eventually.ts';
import { samplesDirectory } from '../../support/samples.ts';
import { OperatorProcess } from '../../support/operator-process.ts';

export const operatorUser = 'dockyard-operator';
/** Where the operator keeps retention CronJobs and Jobs in these tests, as an install keeps them in its own namespace. */
export const jobsNamespace = 'dockyard-system';
/** The retention runs' ServiceAccount, as manifests/ installs it (the operator's default). */
export const retentionServiceAccount = 'dockyard-retention';

export type RegistryObject = KubeObject & { spec: Record<string, unknown>; status?: RegistryStatus };

/**
 * A private control plane with the CRDs and a real `dockyard operator` (the bundle the image
 * ships) running as its own identity, so the audit log can tell the operator's writes from
 * everyone else's. Private, because the tests delete namespaces and count writes, which a shared
 * cluster would blur.
 */
export class RegistryTestbed {
  readonly plane: LocalControlPlane;
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  operator: OperatorProcess;
  private readonly operatorArgs: string[];

  private constructor(plane: LocalControlPlane, operator: OperatorProcess, operatorArgs: string[]) {
    this.plane = plane;
    this.kubeConfig = plane.kubeConfig();
    this.client = new KubeClient(this.kubeConfig);
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.apps = this.kubeConfig.makeApiClient(AppsV1Api);
    this.operator = operator;
    this.operatorArgs = operatorArgs;
  }

  /** Stops the operator (SIGTERM, as a rollout would), runs `meanwhile`, and starts it again with the same arguments. */
  async restartOperator(meanwhile: () => Promise<void> = async () => undefined): Promise<void> {
    await this.operator.stop();
    await meanwhile();
    this.operator = OperatorProcess.startDockyard({ name: operatorUser, bundled: true, args: this.operatorArgs });
  }

  /** `beforeInstall` runs on the fresh control plane before the current CRDs go in (an upgrade test puts an older release there). */
  static async start(
    binDir: string,
    options: { pullSecretSources: string; beforeInstall?: (plane: LocalControlPlane) => Promise<void> },
  ): Promise<RegistryTestbed> {
    const plane = await LocalControlPlane.start({ binDir });
    try {
      await options.beforeInstall?.(plane);
      await installDockyardCrds(plane.kubeConfig(), 'dockyard-test');
      await grantInstalledRole(plane);
      const kubeconfig = await plane.kubeconfigFor(operatorUser);
      const args = [
        '--kubeconfig',
        kubeconfig,
        '--health-addr',
        '127.0.0.1:0',
        '--log-level',
        'debug',
        '--no-leader-elect',
        '--image',
        'dockyard:test',
        '--pull-secret-sources',
        options.pullSecretSources,
        '--jobs-namespace',
        jobsNamespace,
      ];
      const operator = OperatorProcess.startDockyard({ name: operatorUser, bundled: true, args });
      return new RegistryTestbed(plane, operator, args);
    } catch (error) {
      await plane.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.operator.stop();
    await this.plane.stop();
  }

  async createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name, labels } } });
  }

  async createRegistry(namespace: string, name: string, spec: Record<string, unknown>): Promise<RegistryObject> {
    return this.client.create(resources.registries, { apiVersion: 'dockyard.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace }, spec });
  }

  getRegistry(namespace: string, name: string): Promise<RegistryObject> {
    return this.client.get<RegistryObject>(resources.registries, { namespace, name });
  }

  /** Waits until the Registry reports Ready for its current generation, and returns it. */
  waitForReady(namespace: string, name: string, timeoutMs = 60_000): Promise<RegistryObject> {
    return eventually(
      async () => {
        const registry = await this.getRegistry(namespace, name);
        const ready = registry.status?.conditions?.find((condition) => condition.type === 'Ready');
        return ready?.status === 'True' && registry.status?.observedGeneration === registry.metadata?.generation ? registry : undefined;
      },
      { what: `Registry ${namespace}/${name} to be Ready`, timeoutMs },
    );
  }

  /**
   * Changes a label on the Registry, which wakes its reconcile without changing what it asks for,
   * and resolves once that reconcile has ended. Stands in for the periodic requeue when a test
   * changed something the operator does not watch (a user's Secret, a remote registry).
   */
  async reconcileNow(namespace: string, name: string, label: string): Promise<void> {
    const from = Date.now();
    await this.client.patch(resources.registries, { namespace, name }, 'merge', { metadata: { labels: { 'test.dockyard.dev/nudge': label } } });
    await this.operator.waitForLog(
      (line) => line.msg === 'reconciled' && line['key'] === `${namespace}/${name}` && Date.parse(line.time) > from,
      `a reconcile of ${namespace}/${name} after label ${label}`,
      {
        timeoutMs: 30_000,
      },
    );
  }

  /** Resolves once `read` answers 404. */
  async waitForGone(read: () => Promise<unknown>, what: string): Promise<void> {
    await eventually(
      () =>
        read().then(
          () => false,
          (error: unknown) => isNotFound(error),
        ),
      { what, timeoutMs: 60_000 },
    );
  }
}

/**
 * Binds the operator's identity to the ClusterRole users install (manifests/operator/rbac.yaml)
 * and nothing more, so a rule missing there fails these tests (the operator's start-up check
 * names it) instead of a user's install.
 */
async function grantInstalledRole(plane: LocalControlPlane): Promise<void> {
  const documents = parseAllDocuments(readFileSync(new URL('../../../manifests/operator/rbac.yaml', import.meta.url), 'utf8')).map((d) => d.toJS());
  const role = documents.find((document) => document.kind === 'ClusterRole' && document.metadata.name === 'dockyard-operator');
  const rbac = plane.kubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbac.createClusterRole({ body: role });
  // The Role for retention CronJobs and Jobs, in the namespace the operator keeps them in.
  await plane
    .kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: jobsNamespace } } });
  const jobsRole = documents.find((document) => document.kind === 'Role' && document.metadata.name === 'dockyard-operator');
  await rbac.createNamespacedRole({ namespace: jobsNamespace, body: { ...jobsRole, metadata: { ...jobsRole.metadata, namespace: jobsNamespace } } });
  await rbac.createNamespacedRoleBinding({
    namespace: jobsNamespace,
    body: {
      metadata: { name: 'dockyard-operator-test' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: jobsRole.metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: operatorUser }],
    },
  });
  // The retention runs' identity, exactly as installed: its ServiceAccount, roles and bindings.
  await plane
    .kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccount({ namespace: jobsNamespace, body: { metadata: { name: retentionServiceAccount } } });
  for (const document of documents.filter((candidate) => candidate.metadata.name === retentionServiceAccount)) {
    const namespaced = { ...document, metadata: { ...document.metadata, namespace: jobsNamespace } };
    if (document.subjects) namespaced.subjects = document.subjects.map((subject: object) => ({ ...subject, namespace: jobsNamespace }));
    if (document.kind === 'ClusterRole') await rbac.createClusterRole({ body: document });
    if (document.kind === 'ClusterRoleBinding') await rbac.createClusterRoleBinding({ body: namespaced });
    if (document.kind === 'Role') await rbac.createNamespacedRole({ namespace: jobsNamespace, body: namespaced });
    if (document.kind === 'RoleBinding') await rbac.createNamespacedRoleBinding({ namespace: jobsNamespace, body: namespaced });
  }
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'dockyard-operator-test' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: operatorUser }],
    },
  });
}

/** A sample from manifests/samples/, parsed. */
export function sample(file: string): RegistryObject {
  return parse(readFileSync(`${samplesDirectory}/${file}`, 'utf8')) as RegistryObject;
}
