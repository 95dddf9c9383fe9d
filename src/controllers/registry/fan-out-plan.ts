import type { Registry } from '../../api/v1alpha1/registry.ts';
import { matchesLabelSelector } from '../../runtime/label-selector.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import { mayFanOutAcrossNamespaces, type RegistryControllerOptions } from './options.ts';

export interface FanOutPlan {
  /** Namespaces that get the pull Secret, the Registry's own first, then by name. */
  targets: string[];
  /** Namespaces the spec asks for that the tenancy rule keeps the Secret out of. */
  refused: string[];
  /** Namespaces named in spec.pullSecrets.namespaces that do not exist (yet). */
  missing: string[];
}

/**
 * Where a Registry's pull Secret belongs now: its own namespace, plus every existing namespace
 * its selector matches or its list names, when the tenancy rule allows crossing namespaces.
 * Namespaces being deleted are left alone: nothing can be created in them.
 */
export function planFanOut(registry: Registry, namespaces: readonly KubeObject[], options: RegistryControllerOptions): FanOutPlan {
  const own = registry.metadata.namespace!;
  const pullSecrets = registry.spec.pullSecrets;
  const live = new Map(
    namespaces
      .filter((namespace) => namespace.metadata?.deletionTimestamp === undefined)
      .map((namespace) => [namespace.metadata!.name!, namespace.metadata?.labels]),
  );
  const wanted = new Set<string>();
  if (pullSecrets?.namespaceSelector !== undefined) {
    for (const [name, labels] of live) if (matchesLabelSelector(pullSecrets.namespaceSelector, labels)) wanted.add(name);
  }
  const missing: string[] = [];
  for (const name of pullSecrets?.namespaces ?? []) {
    if (live.has(name)) wanted.add(name);
    else missing.push(name);
  }
  wanted.delete(own);
  const mayCross = mayFanOutAcrossNamespaces(options, own);
  const others = [...wanted].sort();
  return {
    targets: live.has(own) ? [own, ...(mayCross ? others : [])] : mayCross ? others : [],
    refused: mayCross ? [] : others,
    missing: missing.sort(),
  };
}
