import type { V1DaemonSet, V1Deployment, V1PersistentVolumeClaim, V1Secret, V1Service } from '@kubernetes/client-node';
import type { Registry, RegistryStatus } from '../../api/v1alpha1/registry.ts';
import type { ReconcileContext, ReconcileResult } from '../../runtime/controller.ts';
import { ApplyRejectedError, unlessNotFound } from '../../runtime/errors.ts';
import { applyObject } from '../../runtime/apply.ts';
import type { WatchTarget } from '../../runtime/list-watch-source.ts';
import type { KubeObject, ResourceType } from '../../runtime/resource.ts';
import { certificateResource, registryCertificate } from './builders/certificate.ts';
import type { CertManagerDiscovery } from './cert-manager-discovery.ts';
import { endpoints } from '../common/registry-endpoints.ts';
import { registryDisruptionBudget } from './builders/disruption-budget.ts';
import { registryIdentity } from './builders/metadata.ts';
import { pullSecretName } from './builders/pull-secret.ts';
import { specProblems, type SpecProblem } from './builders/spec-problems.ts';
import { problemsOfRejection } from './rejected-spec.ts';
import { degradedReasons } from './status/reasons.ts';
import { deriveRegistryStatus, secretsTheStatusReads } from './status/managed.ts';
import { desiredCredentials, withWriteGate } from './credentials.ts';
import { collectionProblem } from './garbage-collection/collection-problems.ts';
import { collectGarbage, withCurrentCollectionState, type CollectionMemory, type CollectionPass } from './garbage-collection/reconcile-collection.ts';
import { desiredWriteGate } from './garbage-collection/sequence.ts';
import { storedWithCollection, withGarbageCollection } from './status/garbage-collection.ts';
import { distributePullSecrets, serviceAccountsAnnotations, type FanOutResult } from './fan-out.ts';
import { childNames } from '../common/registry-children.ts';
import type { RegistryControllerOptions } from './options.ts';
import { composeStatus } from './status/compose.ts';
import { recordChanges } from './registry-events.ts';
import { resources, targets } from './resources.ts';
import { desiredWorkload, signingCertificateOf } from './workload.ts';

/** How soon to look again at a registry a person must fix, in case the fix is not an event we watch (a user's Secret). */
const degradedRecheckMs = 60_000;

/**
 * One level-based pass over a registry Dockyard runs: credentials, config and workload applied
 * (each skipped when the cache already shows it), children that are no longer wanted removed,
 * the pull Secret distributed, and the status recomputed from what the children report.
 */
export async function reconcileManagedRegistry(
  cachedRegistry: Registry,
  context: ReconcileContext<KubeObject>,
  options: RegistryControllerOptions,
  certManager: CertManagerDiscovery,
  collections: CollectionMemory,
): Promise<ReconcileResult> {
  const registry = await withCurrentCollectionState(cachedRegistry, context);
  const { name, namespace } = registryIdentity(registry);
  const names = childNames(name);
  const now = new Date();
  const written: string[] = [];
  let fanOut: FanOutResult | undefined;
  let nextReviewAt: Date | undefined;
  let collection: CollectionPass | undefined;
  const rejectedSpec: SpecProblem[] = [];
  const referenced = await readReferencedSecrets(registry, context);

  if (specProblems(registry).length === 0) {
    const apply = async (resource: ResourceType, object: KubeObject) => {
      if ((await context.apply(resource, object)).written) written.push(`${resource.kind} ${object.metadata?.name}`);
    };
    const { hosts } = endpoints(registry, { clusterDomain: options.clusterDomain });
    const secrets = context.cache<V1Secret & KubeObject>(targets.secrets);
    const credentials = desiredCredentials(registry, (secret) => secrets.get(`${namespace}/${secret}`), {
      hosts,
      now,
      pullAnnotations: serviceAccountsAnnotations(registry),
      // The gate the stored garbage collection state wants: this write must not lift it.
      writeGate: desiredWriteGate(registry.status?.garbageCollection ?? {}, now),
    });
    nextReviewAt = credentials.plan.nextReviewAt;
    // The token service must accept a credential before any Secret hands it out.
    await apply(resources.secrets, credentials.authSecret);
    for (const secret of credentials.credentialSecrets) await apply(resources.secrets, secret);
    const workload = desiredWorkload(registry, options, {
      signingCertificate: signingCertificateOf(credentials.authSecret),
      userSecret: (secretName) => referenced.get(secretName),
    });
    for (const child of workload) {
      try {
        await apply(child.resource, child.object);
      } catch (error) {
        // The rest of the registry still deserves its children; the status names the field.
        if (!(error instanceof ApplyRejectedError)) throw error;
        rejectedSpec.push(...problemsOfRejection(error));
      }
    }
    written.push(...(await removeUnwantedChildren(registry, context)));
    if (registry.spec.tls?.issuerRef !== undefined && (await certManager.installed(context))) {
      written.push(...(await applyCertificate(registry, context, options)));
    }
    fanOut = await distributePullSecrets(registry, context, options, { credential: credentials.plan.credentials.pull.published, hosts });
    recordChanges(context, { written, fanOut, credentialEvents: credentials.plan.events });
    let savedStatus: RegistryStatus = registry.status ?? {};
    collection = await collectGarbage({
      registry,
      context,
      clusterDomain: options.clusterDomain,
      memory: collections,
      saveState: async (state) => {
        savedStatus = storedWithCollection(
          savedStatus,
          { enabled: registry.spec.garbageCollection !== undefined, state, refusal: collectionProblem(registry) },
          { observedGeneration: registry.metadata.generation },
        );
        await context.writeStatus(savedStatus);
      },
      writeGate: async (gate) => {
        await apply(resources.secrets, withWriteGate(credentials.authSecret, gate));
      },
    });
  }

  const cached = <T>(target: WatchTarget, childName: string) => context.cache<T & KubeObject>(target).get(`${namespace}/${childName}`);
  const derived = deriveRegistryStatus(
    registry,
    {
      deployment: cached<V1Deployment>(targets.deployments, names.workload),
      service: cached<V1Service>(targets.services, names.workload),
      claim: cached<V1PersistentVolumeClaim>(targets.claims, names.claim),
      nodeProxy: cached<V1DaemonSet>(targets.daemonSets, names.nodeProxy),
      secretExists: (secret) => referenced.get(secret) !== undefined,
      certManagerInstalled: registry.spec.tls?.issuerRef === undefined || (await certManager.installed(context)),
      rejectedSpec,
    },
    { clusterDomain: options.clusterDomain },
  );
  const problem = collectionProblem(registry);
  const { conditions, ...summary } = {
    ...derived,
    ...withGarbageCollection(derived, {
      enabled: registry.spec.garbageCollection !== undefined,
      state: collection?.state ?? registry.status?.garbageCollection ?? {},
      refusal: problem,
    }),
  };
  const statusChanged = await context.writeStatus(
    composeStatus(registry, summary, conditions, { plan: fanOut?.plan, secretName: fanOut ? pullSecretName(registry) : undefined }),
  );
  if (statusChanged && rejectedSpec.length > 0) {
    // Once per change of the status, not per reconcile: the refusal is remembered, not re-sent.
    const note = rejectedSpec.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
    context.recordEvent({ type: 'Warning', reason: degradedReasons.invalidSpec, action: 'Apply', note: note.slice(0, 1000) });
    context.log.warn({ problems: rejectedSpec }, 'the apiserver refused a child built from the spec; waiting for the spec to change');
  }

  const waits = [
    nextReviewAt === undefined ? undefined : Math.max(1_000, nextReviewAt.getTime() - Date.now()),
    derived.phase === 'Degraded' || derived.phase === 'Failed' ? degradedRecheckMs : undefined,
    collection?.requeueAfterMs,
  ].filter((wait) => wait !== undefined);
  return waits.length === 0 ? {} : { requeueAfterMs: Math.min(...waits) };
}

/** The node proxy, the Ingress and the disruption budget go when the spec stops asking for them; nothing else is optional. */
async function removeUnwantedChildren(registry: Registry, context: ReconcileContext<KubeObject>): Promise<string[]> {
  const { name, namespace } = registryIdentity(registry);
  const names = childNames(name);
  const unwanted: Array<[WatchTarget, string]> = [];
  if (registry.spec.nodeAccess === undefined) unwanted.push([targets.daemonSets, names.nodeProxy]);
  if (registry.spec.ingress === undefined) unwanted.push([targets.ingresses, names.ingress]);
  if (registryDisruptionBudget(registry) === undefined) unwanted.push([targets.podDisruptionBudgets, names.workload]);
  const removed: string[] = [];
  for (const [target, childName] of unwanted) {
    if (context.cache(target).get(`${namespace}/${childName}`) === undefined) continue;
    await unlessNotFound(context.client.delete(target.resource, { namespace, name: childName }, { signal: context.signal }));
    removed.push(`deleted ${target.resource.kind} ${childName}`);
  }
  return removed;
}

/**
 * The users' Secrets the spec names (and the one cert-manager issues), by name; absent ones map
 * to undefined. They are not the operator's, so not in its caches: each is read. Their changes
 * are no event it watches either: the periodic requeue notices them.
 */
async function readReferencedSecrets(registry: Registry, context: ReconcileContext<KubeObject>): Promise<Map<string, KubeObject | undefined>> {
  const { namespace } = registryIdentity(registry);
  const referenced = new Map<string, KubeObject | undefined>();
  for (const name of secretsTheStatusReads(registry)) {
    referenced.set(name, await unlessNotFound(context.client.get(resources.secrets, { namespace, name }, context.signal)));
  }
  return referenced;
}

/** The Certificate is not watched (cert-manager may be absent), so its live copy is read before applying. */
async function applyCertificate(registry: Registry, context: ReconcileContext<KubeObject>, options: RegistryControllerOptions): Promise<string[]> {
  const certificate = registryCertificate(registry, { clusterDomain: options.clusterDomain }) as KubeObject | undefined;
  if (certificate === undefined) return [];
  const key = { namespace: certificate.metadata!.namespace!, name: certificate.metadata!.name! };
  const live = await unlessNotFound(context.client.get(certificateResource, key, context.signal));
  const result = await applyObject(context.client, certificateResource, certificate, { live, signal: context.signal });
  return result.written ? [`Certificate ${key.name}`] : [];
}
