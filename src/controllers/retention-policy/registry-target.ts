import type { Registry } from '../../api/v1alpha1/registry.ts';
import { isConditionTrue, type Condition } from '../../runtime/conditions.ts';
import { childNames } from '../common/registry-children.ts';
import { endpoints, serviceAddress } from '../common/registry-endpoints.ts';
import { retentionReasons } from './reasons.ts';

/** A key of a Secret or ConfigMap in the Registry's namespace that the run needs. */
export interface SourceKey {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  key: string;
  /** The spec field that names it, for messages. */
  field: string;
  /** Absent is fine (a CA the certificate may not need). */
  optional?: boolean;
}

/** What a policy's runs work against: the registry's API, its names, and where the credentials come from. */
export interface RetentionTarget {
  url: string;
  hosts: string[];
  /** The identity that may delete; anonymous when undefined (an external registry without retentionCredentialsSecretRef). */
  credentials?: { username: SourceKey; password: SourceKey };
  ca?: SourceKey;
  ready: boolean;
}

export interface TargetProblem {
  reason: (typeof retentionReasons)[keyof typeof retentionReasons];
  message: string;
}

/**
 * How a run reaches the Registry. A managed Registry: its Service's full name (the Job runs in
 * another namespace) and its maintainer identity, which is never fanned out. An external one: its
 * URL and the separate retention credential its spec names, never the fanned-out one.
 */
export function retentionTarget(registry: Registry | undefined, registryName: string, clusterDomain: string): RetentionTarget | TargetProblem {
  if (registry === undefined) {
    return { reason: retentionReasons.registryNotFound, message: `spec.registryRef: Registry ${registryName} does not exist in this namespace` };
  }
  const namespace = registry.metadata.namespace ?? '';
  const ready = isConditionTrue(registry.status?.conditions as Condition[] | undefined, 'Ready');
  if (registry.spec.proxy !== undefined) {
    return {
      reason: retentionReasons.unsupportedRegistry,
      message: `Registry ${registryName} is a pull-through cache (spec.proxy): it refuses deletes, and its proxy ttl already expires what it caches`,
    };
  }
  const external = registry.spec.external;
  if (external !== undefined) {
    const secret = external.retentionCredentialsSecretRef?.name;
    const field = 'spec.external.retentionCredentialsSecretRef';
    return {
      url: external.url,
      hosts: endpoints(registry).hosts,
      ...(secret !== undefined
        ? {
            credentials: {
              username: { kind: 'Secret', namespace, name: secret, key: 'username', field },
              password: { kind: 'Secret', namespace, name: secret, key: 'password', field },
            },
          }
        : {}),
      ...(external.caBundleRef !== undefined
        ? { ca: { ...external.caBundleRef, namespace, field: `Registry ${registryName} spec.external.caBundleRef` } }
        : {}),
      ready,
    };
  }
  const maintainer = childNames(registryName).maintainer;
  const field = `Registry ${registryName}'s maintainer Secret`;
  const { host, port } = serviceAddress(registry, { clusterDomain });
  const tls = registry.spec.tls;
  return {
    url: `${tls !== undefined ? 'https' : 'http'}://${host}:${port}`,
    hosts: endpoints(registry, { clusterDomain }).hosts,
    credentials: {
      username: { kind: 'Secret', namespace, name: maintainer, key: 'username', field },
      password: { kind: 'Secret', namespace, name: maintainer, key: 'password', field },
    },
    ...(tls !== undefined
      ? {
          ca: {
            kind: 'Secret',
            namespace,
            name: tls.secretName ?? childNames(registryName).certificate,
            key: 'ca.crt',
            field: `Registry ${registryName}'s TLS Secret`,
            optional: true,
          },
        }
      : {}),
    ready,
  };
}

export function isTargetProblem(value: RetentionTarget | TargetProblem): value is TargetProblem {
  return 'reason' in value;
}
