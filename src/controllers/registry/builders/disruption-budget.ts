import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { defaultReplicas, type Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames } from '../../common/registry-children.ts';
import { childMetadata, type ChildObject, components, registryIdentity, selectorLabels } from './metadata.ts';

/**
 * With more than one replica, a node drain may evict one registry Pod at a time, so the others
 * keep serving. None for a single replica: a budget there could only block drains or allow
 * everything. Unhealthy Pods may always be evicted: they serve nothing, and a crash-looping
 * replica must not hold a node drain hostage.
 */
export function registryDisruptionBudget(registry: Registry): ChildObject<V1PodDisruptionBudget> | undefined {
  if ((registry.spec.replicas ?? defaultReplicas) <= 1) return undefined;
  const { name } = registryIdentity(registry);
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(registry, { name: childNames(name).workload, component: components.registry }),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(registry, components.registry) },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
