import type { Registry } from '../../api/v1alpha1/registry.ts';
import { isConditionTrue, type Condition } from '../../runtime/conditions.ts';
import { isNotFound } from '../../runtime/errors.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import type { ReadonlyStore } from '../../runtime/store.ts';
import { childNames } from '../common/registry-children.ts';
import { serviceAddress } from '../common/registry-endpoints.ts';
import { imageRepositoryReasons, type ImageRepositoryReason } from './reasons.ts';
import { resources } from './resources.ts';

/** A key of a Secret or ConfigMap in the Registry's namespace. */
export interface SourceKey {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  key: string;
  /** What names it, for messages. */
  field: string;
  optional?: boolean;
}

/** How the controller reads a Registry: its API address, the identity, and whether its door keeps push records. */
export interface ReadTarget {
  url: string;
  credentials?: { username: SourceKey; password: SourceKey };
  ca?: SourceKey;
  /** A registry Dockyard runs: its door serves push records to the maintainer identity. */
  pushRecords: boolean;
  ready: boolean;
}

export interface TargetProblem {
  reason: ImageRepositoryReason;
  message: string;
}

/**
 * A managed Registry is read at its Service's full name with its maintainer identity (the only
 * one that may list push records); an external one at its URL with the credentials it names,
 * which are only read with.
 */
export function readTarget(registry: Registry | undefined, registryName: string, clusterDomain: string): ReadTarget | TargetProblem {
  if (registry === undefined) {
    return { reason: imageRepositoryReasons.registryNotFound, message: `spec.registryRef: Registry ${registryName} does not exist in this namespace` };
  }
  const namespace = registry.metadata.namespace ?? '';
  const ready = isConditionTrue(registry.status?.conditions as Condition[] | undefined, 'Ready');
  const external = registry.spec.external;
  if (external !== undefined) {
    const secret = external.credentialsSecretRef?.name;
    const field = `Registry ${registryName} spec.external.credentialsSecretRef`;
    return {
      url: external.url,
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
      pushRecords: false,
      ready,
    };
  }
  const maintainer = childNames(registryName).maintainer;
  const field = `Registry ${registryName}'s maintainer Secret`;
  const { host, port } = serviceAddress(registry, { clusterDomain });
  const tls = registry.spec.tls;
  return {
    url: `${tls !== undefined ? 'https' : 'http'}://${host}:${port}`,
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
    pushRecords: true,
    ready,
  };
}

export function isTargetProblem(value: ReadTarget | TargetProblem): value is TargetProblem {
  return 'reason' in value;
}

export class SourceMissingError extends Error {
  constructor(source: SourceKey, detail: string) {
    super(`${source.field}: ${source.kind} ${source.namespace}/${source.name} ${detail}`);
    this.name = 'SourceMissingError';
  }
}

export interface ReadCredentials {
  credentials?: { username: string; password: string };
  ca?: string;
}

/**
 * The credentials and CA as text. Dockyard's own Secrets come from the shared cache; a user's
 * Secret or ConfigMap is read when needed (caching every Secret of the cluster is not ours to do).
 */
export async function readCredentials(
  target: ReadTarget,
  reading: { cachedSecrets: ReadonlyStore<KubeObject>; client: KubeClient; signal: AbortSignal },
): Promise<ReadCredentials> {
  const read = (source: SourceKey) => readKey(source, reading.cachedSecrets, reading.client, reading.signal);
  const [username, password, ca] = await Promise.all([
    target.credentials ? read(target.credentials.username) : undefined,
    target.credentials ? read(target.credentials.password) : undefined,
    target.ca ? read(target.ca) : undefined,
  ]);
  return {
    ...(username !== undefined && password !== undefined ? { credentials: { username, password } } : {}),
    ...(ca !== undefined ? { ca } : {}),
  };
}

async function readKey(source: SourceKey, cachedSecrets: ReadonlyStore<KubeObject>, client: KubeClient, signal: AbortSignal): Promise<string | undefined> {
  type WithData = KubeObject & { data?: Record<string, string> };
  let object = source.kind === 'Secret' ? (cachedSecrets.get(`${source.namespace}/${source.name}`) as WithData | undefined) : undefined;
  if (object === undefined) {
    try {
      object = await client.get<WithData>(
        source.kind === 'Secret' ? resources.secrets : resources.configMaps,
        { namespace: source.namespace, name: source.name },
        signal,
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
