import type { Registry } from '../../api/v1alpha1/registry.ts';
import { isConditionTrue, type Condition } from '../../runtime/conditions.ts';
import { isNotFound } from '../../runtime/errors.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import { coreResources, type KubeObject, type ResourceType } from '../../runtime/resource.ts';
import type { ReadonlyStore } from '../../runtime/store.ts';
import { childNames } from './registry-children.ts';
import { endpoints, serviceAddress } from './registry-endpoints.ts';

// How Dockyard's own jobs and readers reach a Registry's API: the address, the identity and the
// CA, for the RetentionPolicy and ImageRepository controllers alike. A Registry Dockyard runs is
// reached at its Service's full name (readers run in other namespaces) with its maintainer
// identity, which is never fanned out. An external one at its URL, with the credential the
// purpose allows: retention deletes, so it uses only `retentionCredentialsSecretRef`, never the
// fanned-out credential; reading uses `credentialsSecretRef`.

const secrets: ResourceType = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };

/** A key of a Secret or ConfigMap in the Registry's namespace. */
export interface SourceKey {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  key: string;
  /** What names it, for messages. */
  field: string;
  /** Absent is fine (a CA the certificate may not need). */
  optional?: boolean;
}

export interface RegistryAccess {
  url: string;
  /** Every name images reference the registry by. */
  hosts: string[];
  /** Undefined: anonymous. */
  credentials?: { username: SourceKey; password: SourceKey };
  ca?: SourceKey;
  /** Dockyard runs it, so its door keeps push records and serves them to the maintainer identity. */
  managed: boolean;
  ready: boolean;
}

export type AccessPurpose = 'delete' | 'read';

export function registryAccess(registry: Registry, purpose: AccessPurpose, clusterDomain: string): RegistryAccess {
  const registryName = registry.metadata.name ?? '';
  const namespace = registry.metadata.namespace ?? '';
  const ready = isConditionTrue(registry.status?.conditions as Condition[] | undefined, 'Ready');
  const identity = (name: string, field: string) => ({
    username: { kind: 'Secret' as const, namespace, name, key: 'username', field },
    password: { kind: 'Secret' as const, namespace, name, key: 'password', field },
  });
  const external = registry.spec.external;
  if (external !== undefined) {
    const reference = purpose === 'delete' ? external.retentionCredentialsSecretRef : external.credentialsSecretRef;
    const field = `Registry ${registryName} spec.external.${purpose === 'delete' ? 'retentionCredentialsSecretRef' : 'credentialsSecretRef'}`;
    return {
      url: external.url,
      hosts: endpoints(registry).hosts,
      ...(reference !== undefined ? { credentials: identity(reference.name, field) } : {}),
      ...(external.caBundleRef !== undefined
        ? { ca: { ...external.caBundleRef, namespace, field: `Registry ${registryName} spec.external.caBundleRef` } }
        : {}),
      managed: false,
      ready,
    };
  }
  const { host, port } = serviceAddress(registry, { clusterDomain });
  const tls = registry.spec.tls;
  return {
    url: `${tls !== undefined ? 'https' : 'http'}://${host}:${port}`,
    hosts: endpoints(registry, { clusterDomain }).hosts,
    credentials: identity(childNames(registryName).maintainer, `Registry ${registryName}'s maintainer Secret`),
    ...(tls !== undefined
      ? {
          ca: {
            kind: 'Secret' as const,
            namespace,
            name: tls.secretName ?? childNames(registryName).certificate,
            key: 'ca.crt',
            field: `Registry ${registryName}'s TLS Secret`,
            optional: true,
          },
        }
      : {}),
    managed: true,
    ready,
  };
}

export class SourceMissingError extends Error {
  readonly source: SourceKey;
  constructor(source: SourceKey, detail: string) {
    super(`${source.field}: ${source.kind} ${source.namespace}/${source.name} ${detail}`);
    this.name = 'SourceMissingError';
    this.source = source;
  }
}

export interface SourceReading {
  /** Dockyard's own Secrets (app.kubernetes.io/managed-by=dockyard), as the controllers cache them. */
  cachedSecrets: ReadonlyStore<KubeObject>;
  client: KubeClient;
  signal: AbortSignal;
}

/**
 * One key, as text. Dockyard's own Secrets come from the shared cache; a user's Secret or
 * ConfigMap (a credential, a CA bundle) is read when needed, as the Registry controller reads
 * them: caching every Secret of the cluster is not ours to do.
 */
export async function readSourceKey(source: SourceKey, reading: SourceReading): Promise<string | undefined> {
  type WithData = KubeObject & { data?: Record<string, string> };
  let object = source.kind === 'Secret' ? (reading.cachedSecrets.get(`${source.namespace}/${source.name}`) as WithData | undefined) : undefined;
  if (object === undefined) {
    try {
      object = await reading.client.get<WithData>(
        source.kind === 'Secret' ? secrets : coreResources.configMaps,
        { namespace: source.namespace, name: source.name },
        reading.signal,
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
      if (source.optional) return undefined;
      throw new SourceMissingError(source, 'does not exist');
    }
  }
  const value = object?.data?.[source.key];
  if (value === undefined) {
    if (source.optional) return undefined;
    throw new SourceMissingError(source, `has no key ${source.key}`);
  }
  return source.kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
}

export interface AccessCredentials {
  credentials?: { username: string; password: string };
  ca?: string;
}

/** The identity and CA of `access`, as text; a missing required key throws SourceMissingError naming the field. */
export async function readAccessCredentials(access: Pick<RegistryAccess, 'credentials' | 'ca'>, reading: SourceReading): Promise<AccessCredentials> {
  const [username, password, ca] = await Promise.all([
    access.credentials ? readSourceKey(access.credentials.username, reading) : undefined,
    access.credentials ? readSourceKey(access.credentials.password, reading) : undefined,
    access.ca ? readSourceKey(access.ca, reading) : undefined,
  ]);
  return {
    ...(username !== undefined && password !== undefined ? { credentials: { username, password } } : {}),
    ...(ca !== undefined ? { ca } : {}),
  };
}
