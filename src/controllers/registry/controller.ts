import { Registry } from '../../api/v1alpha1/registry.ts';
import { describeIssues } from '../../api/field-path.ts';
import { defineController, type ControllerDefinition, type ReconcileContext, type ReconcileResult } from '../../runtime/controller.ts';
import { errorMessage } from '../../runtime/errors.ts';
import { keyOf, type KubeObject, type ResourceType } from '../../runtime/resource.ts';
import type { PermissionRequirement } from '../../runtime/startup-checks.ts';
import { sourceNamespaceLabel } from './builders/metadata.ts';
import { unreadableStatus } from './status/compose.ts';
import { degradedReasons } from './status/reasons.ts';
import { registryNameLabel } from '../common/registry-children.ts';
import { withdrawPullSecrets } from './fan-out.ts';
import type { RegistryControllerOptions } from './options.ts';
import { reconcileExternalRegistry } from './reconcile-external.ts';
import { reconcileManagedRegistry } from './reconcile-managed.ts';
import { CertManagerDiscovery } from './cert-manager-discovery.ts';
import { CollectionMemory } from './garbage-collection/reconcile-collection.ts';
import { registryGauges } from './metrics.ts';
import { resources, targets } from './resources.ts';
import type { Condition } from '../../runtime/conditions.ts';

/** Held while a Registry's pull Secret copies exist in other namespaces, where no ownerReference reaches. */
const pullSecretFinalizer = 'dockyard.dev/pull-secrets';

/** Index of the Registries cache: every Registry that fans its pull Secret out (value "yes"). */
const fansOutIndex = 'fans-out';
/** Index of the Registries cache: the ServiceAccount names whose imagePullSecrets a Registry patches. */
const serviceAccountIndex = 'pull-secret-service-accounts';

/** Cached objects are the apiserver's JSON, unparsed: read only what the indexes need, defensively. */
function pullSecretsOf(object: KubeObject): { serviceAccounts?: unknown } | undefined {
  const pullSecrets = (object as { spec?: { pullSecrets?: unknown } }).spec?.pullSecrets;
  return typeof pullSecrets === 'object' && pullSecrets !== null ? pullSecrets : undefined;
}

/**
 * The Registry controller: a Registry becomes a running, authenticated registry (or a checked
 * external one) whose pull Secret reaches the namespaces that need it.
 */
export function registryController(options: RegistryControllerOptions): ControllerDefinition {
  const certManager = new CertManagerDiscovery();
  const collections = new CollectionMemory();
  return defineController<KubeObject>({
    name: 'registry',
    root: targets.registries,
    owns: [targets.deployments, targets.services, targets.daemonSets, targets.ingresses, targets.podDisruptionBudgets, targets.collectorJobs],
    watches: [
      // Claims kept under deletionPolicy Retain, and pull Secret copies in other namespaces, carry
      // no ownerReference: their labels say whose they are.
      { target: targets.claims, map: (object) => registryKeysByLabel(object) },
      { target: targets.secrets, map: (object) => registryKeysByLabel(object) },
      // The registry Pods' addresses and the collector Pods' ends matter to a garbage collection.
      { target: targets.pods, map: (object) => registryKeysByLabel(object) },
      { target: targets.namespaces, map: (_namespace, caches) => keysOf(caches.cache(targets.registries).byIndex(fansOutIndex, 'yes')) },
      {
        target: targets.serviceAccounts,
        map: (serviceAccount, caches) => keysOf(caches.cache(targets.registries).byIndex(serviceAccountIndex, serviceAccount.metadata?.name ?? '')),
      },
    ],
    indexes: [
      { target: targets.registries, name: fansOutIndex, keys: (registry) => (pullSecretsOf(registry) ? ['yes'] : []) },
      {
        target: targets.registries,
        name: serviceAccountIndex,
        keys: (registry) => {
          const serviceAccounts = pullSecretsOf(registry)?.serviceAccounts;
          return Array.isArray(serviceAccounts) ? serviceAccounts.filter((name): name is string => typeof name === 'string') : [];
        },
      },
    ],
    maxConcurrentReconciles: 4,
    gauges: registryGauges(),
    permissions: [
      ...needs(['get', 'patch', 'delete'], resources.secrets, "credentials, config and pull Secret copies; users' Secrets the spec names"),
      ...needs(['patch'], resources.deployments, 'the registry Deployment'),
      ...needs(['patch'], resources.services, 'the registry Service'),
      ...needs(['patch'], resources.claims, 'the registry storage claim'),
      ...needs(['patch', 'delete'], resources.daemonSets, 'the node-access proxy'),
      ...needs(['patch', 'delete'], resources.ingresses, 'the registry Ingress'),
      ...needs(['patch', 'delete'], resources.podDisruptionBudgets, 'the disruption budget of a registry with several replicas'),
      ...needs(['get', 'patch'], resources.serviceAccounts, 'adding the pull Secret to imagePullSecrets, read afresh after a lost race'),
      ...needs(['patch'], resources.registries, 'Registry status', 'status'),
      ...needs(['get'], resources.registries, 'the garbage collection state as stored, not as cached', undefined),
      ...needs(['create', 'delete'], resources.jobs, 'the garbage collector Jobs in the Registry namespace'),
      ...needs(['get'], resources.pods, "the collector's report, read from its Pod's log", 'log'),
    ],
    async reconcile(_key, context): Promise<ReconcileResult | void> {
      const object = context.object;
      if (object === undefined) return;
      const parsed = Registry.safeParse(object);
      if (!parsed.success) return reportUnreadable(object, context, describeIssues(parsed.error));
      const registry = parsed.data;
      try {
        const outcome = await context.finalize(pullSecretFinalizer, {
          apply: () =>
            registry.spec.external
              ? reconcileExternalRegistry(registry, context, options)
              : reconcileManagedRegistry(registry, context, options, certManager, collections),
          cleanup: async () => {
            await withdrawPullSecrets(registry, context);
            context.log.info('withdrew the pull Secret from every namespace before the Registry goes');
          },
        });
        if (outcome.action === 'stale') {
          context.log.debug("the cached Registry was older than the apiserver's; looking again once the update arrives");
          return { requeueAfterMs: 1_000 };
        }
        return outcome.action === 'applied' ? outcome.result : undefined;
      } catch (error) {
        // The runtime retries with backoff; the Event tells `kubectl describe` readers why it is
        // stuck (the recorder folds repeats into one series).
        context.recordEvent({ type: 'Warning', reason: 'ReconcileFailed', action: 'Reconcile', note: errorMessage(error).slice(0, 1000) });
        throw error;
      }
    },
  });
}

function keysOf(objects: KubeObject[]): string[] {
  return objects.map(keyOf);
}

function needs(verbs: string[], resource: ResourceType, reason: string, subresource?: string): PermissionRequirement[] {
  return verbs.map((verb) => ({ verb, group: resource.group, resource: resource.plural, ...(subresource ? { subresource } : {}), reason }));
}

/** The Registry a labelled child belongs to: its name label, in its source namespace (copies) or its own. */
function registryKeysByLabel(object: KubeObject): string[] {
  const labels = object.metadata?.labels ?? {};
  const name = labels[registryNameLabel];
  const namespace = labels[sourceNamespaceLabel] ?? object.metadata?.namespace;
  return name === undefined || namespace === undefined ? [] : [`${namespace}/${name}`];
}

/** A Registry zod cannot read: say so in the status, naming the field, and wait for the spec to change. */
async function reportUnreadable(object: KubeObject, context: ReconcileContext<KubeObject>, problems: string): Promise<void> {
  const { status, message } = unreadableStatus(
    { generation: object.metadata?.generation, status: (object as { status?: { conditions?: Condition[] } }).status },
    problems,
  );
  if (await context.writeStatus(status)) {
    context.recordEvent({ type: 'Warning', reason: degradedReasons.invalidSpec, action: 'Reconcile', note: message.slice(0, 1000) });
  }
  context.log.warn({ problems }, 'could not read the Registry spec; waiting for it to change');
}
