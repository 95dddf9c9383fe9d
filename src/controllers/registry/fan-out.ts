import type { V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import type { Registry } from '../../api/v1alpha1/registry.ts';
import type { Credential } from '../../registry-auth/credential-plan.ts';
import type { ReconcileContext } from '../../runtime/controller.ts';
import { isInvalid, unlessNotFound } from '../../runtime/errors.ts';
import { matchesLabelSelector } from '../../runtime/label-selector.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import { pullSecretCopy, pullSecretName, pullSecretSelector } from './builders/pull-secret.ts';
import { imagePullSecretsPatch } from './builders/service-account-pull-secret.ts';
import { planFanOut, type FanOutPlan } from './fan-out-plan.ts';
import type { RegistryControllerOptions } from './options.ts';
import { resources, targets } from './resources.ts';

/**
 * On the Secret that holds the pull credential in a namespace (a copy, or the source in the
 * Registry's own namespace): the ServiceAccounts the operator added it to. The spec says which
 * ServiceAccounts should have it now; this says which have it because of us, so an account
 * dropped from the spec, or a namespace that stops matching, gets exactly our entry removed.
 */
const serviceAccountsAnnotation = 'dockyard.dev/service-accounts';

export function serviceAccountsAnnotations(registry: Registry): Record<string, string> | undefined {
  const accounts = registry.spec.pullSecrets?.serviceAccounts ?? [];
  return accounts.length === 0 ? undefined : { [serviceAccountsAnnotation]: [...accounts].sort().join(',') };
}

function trackedAccounts(holder: KubeObject | undefined): string[] {
  return holder?.metadata?.annotations?.[serviceAccountsAnnotation]?.split(',').filter(Boolean) ?? [];
}

export interface FanOutResult {
  plan: FanOutPlan;
  /** Namespaces where the operator wrote (created or changed) a copy or a ServiceAccount. */
  changed: string[];
  /** Namespaces a copy was removed from. */
  removed: string[];
}

/**
 * Puts the pull Secret into every namespace planFanOut() names and takes it out of every other,
 * with the ServiceAccount entries that go with it. Copies live outside the Registry's namespace,
 * where no ownerReference can reach, so their removal is this function's job (and the
 * finalizer's, when the Registry goes).
 */
export async function distributePullSecrets(
  registry: Registry,
  context: ReconcileContext<KubeObject>,
  options: RegistryControllerOptions,
  delivery: { credential: Credential; hosts: readonly string[] },
): Promise<FanOutResult> {
  const plan = planFanOut(registry, context.cache(targets.namespaces).list(), options);
  const accounts = registry.spec.pullSecrets?.serviceAccounts ?? [];
  const annotations = serviceAccountsAnnotations(registry);
  const changed = new Set<string>();
  for (const namespace of plan.targets) {
    const copy = pullSecretCopy(registry, { namespace, hosts: delivery.hosts, credential: delivery.credential });
    const holder = holderIn(registry, context, namespace);
    if (copy !== undefined) {
      if (annotations) copy.metadata = { ...copy.metadata, annotations };
      if ((await context.apply(resources.secrets, copy)).written) changed.add(namespace);
    }
    const dropped = trackedAccounts(holder).filter((account) => !accounts.includes(account));
    if (await patchServiceAccounts(registry, context, namespace, accounts, true)) changed.add(namespace);
    if (await patchServiceAccounts(registry, context, namespace, dropped, false)) changed.add(namespace);
  }
  const removed = await removeCopies(registry, context, new Set(plan.targets));
  return { plan, changed: [...changed], removed };
}

/** Takes the pull Secret out of every namespace not in `keep`: our ServiceAccount entries first, then the copy. */
export async function removeCopies(registry: Registry, context: ReconcileContext<KubeObject>, keep: ReadonlySet<string>): Promise<string[]> {
  const selector = { matchLabels: pullSecretSelector(registry) };
  const stale = context
    .cache<V1Secret & KubeObject>(targets.secrets)
    .list()
    .filter((secret) => matchesLabelSelector(selector, secret.metadata?.labels) && !keep.has(secret.metadata!.namespace!));
  const removed: string[] = [];
  for (const copy of stale) {
    const namespace = copy.metadata!.namespace!;
    await patchServiceAccounts(registry, context, namespace, trackedAccounts(copy), false);
    await unlessNotFound(context.client.delete(resources.secrets, { namespace, name: copy.metadata!.name! }, { signal: context.signal }));
    removed.push(namespace);
  }
  return removed;
}

/** The Secret that holds the pull credential in `namespace` (a copy, or the source itself), as cached. */
function holderIn(registry: Registry, context: ReconcileContext<KubeObject>, namespace: string): KubeObject | undefined {
  return context.cache(targets.secrets).get(`${namespace}/${pullSecretName(registry)}`);
}

/** Adds (or removes) the pull Secret in the named ServiceAccounts' imagePullSecrets; true when any was written. */
async function patchServiceAccounts(
  registry: Registry,
  context: ReconcileContext<KubeObject>,
  namespace: string,
  accounts: readonly string[],
  wanted: boolean,
): Promise<boolean> {
  let wrote = false;
  for (const name of accounts) {
    if (await patchServiceAccount(registry, context, { namespace, name }, wanted)) wrote = true;
  }
  return wrote;
}

/**
 * Tries at most this many times when others change the ServiceAccount between our read and our
 * patch: other Registries adding their own pull Secrets at the same moment, most often.
 */
export const serviceAccountPatchAttempts = 10;

/**
 * One ServiceAccount's entry. The patch is guarded by a `test` of the list as read (see
 * imagePullSecretsPatch); when the apiserver rejects it because the list changed meanwhile, that
 * is a lost optimistic race, not a failure: read the account afresh and patch again at once.
 */
async function patchServiceAccount(
  registry: Registry,
  context: ReconcileContext<KubeObject>,
  key: { namespace: string; name: string },
  wanted: boolean,
): Promise<boolean> {
  // The cache first: in the steady state it already shows the entry and nothing is sent.
  let account: (V1ServiceAccount & KubeObject) | undefined = context
    .cache<V1ServiceAccount & KubeObject>(targets.serviceAccounts)
    .get(`${key.namespace}/${key.name}`);
  for (let attempt = 1; ; attempt++) {
    if (account === undefined) return false; // its creation wakes the Registry through the watch
    const patch = imagePullSecretsPatch(account, pullSecretName(registry), wanted);
    if (patch.length === 0) return false;
    try {
      return (await unlessNotFound(context.client.patch(resources.serviceAccounts, key, 'json', patch, { signal: context.signal }))) !== undefined;
    } catch (error) {
      if (!isInvalid(error)) throw error;
      if (attempt >= serviceAccountPatchAttempts) {
        throw new Error(
          `ServiceAccount ${key.namespace}/${key.name} changed under each of ${attempt} attempts to ${wanted ? 'add' : 'remove'} ${pullSecretName(registry)} in its imagePullSecrets; trying again later`,
        );
      }
      context.log.debug(
        { namespace: key.namespace, serviceAccount: key.name, attempt },
        'ServiceAccount changed since it was read; patching it again on a fresh read',
      );
      account = await unlessNotFound(context.client.get<V1ServiceAccount & KubeObject>(resources.serviceAccounts, key, context.signal));
    }
  }
}

/**
 * Everything the finalizer undoes when a Registry goes: every copy (with our ServiceAccount
 * entries), and our entries on ServiceAccounts of the Registry's own namespace, whose holder is
 * the source Secret that garbage collection removes.
 */
export async function withdrawPullSecrets(registry: Registry, context: ReconcileContext<KubeObject>): Promise<void> {
  const namespace = registry.metadata.namespace!;
  await patchServiceAccounts(registry, context, namespace, trackedAccounts(holderIn(registry, context, namespace)), false);
  await removeCopies(registry, context, new Set());
}
