import type { Registry } from '../../api/v1alpha1/registry.ts';
import { registryAccess, type RegistryAccess } from '../common/registry-access.ts';
import { retentionReasons } from './reasons.ts';

/** What a policy's runs work against: the registry's API, its names, and the identity that may delete. */
export type RetentionTarget = Omit<RegistryAccess, 'managed'>;

export interface TargetProblem {
  reason: (typeof retentionReasons)[keyof typeof retentionReasons];
  message: string;
}

/**
 * How a run reaches the Registry (controllers/common/registry-access.ts): a managed one with its
 * maintainer identity; an external one with the retention credential its spec names, never the
 * fanned-out one. A pull-through cache cannot be cleaned: distribution refuses deletes there.
 */
export function retentionTarget(registry: Registry | undefined, registryName: string, clusterDomain: string): RetentionTarget | TargetProblem {
  if (registry === undefined) {
    return { reason: retentionReasons.registryNotFound, message: `spec.registryRef: Registry ${registryName} does not exist in this namespace` };
  }
  if (registry.spec.proxy !== undefined) {
    return {
      reason: retentionReasons.unsupportedRegistry,
      message: `Registry ${registryName} is a pull-through cache (spec.proxy): it refuses deletes, and its proxy ttl already expires what it caches`,
    };
  }
  const { managed: _managed, ...target } = registryAccess(registry, 'delete', clusterDomain);
  return target;
}

export function isTargetProblem(value: RetentionTarget | TargetProblem): value is TargetProblem {
  return 'reason' in value;
}
