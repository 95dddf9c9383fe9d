import type { V1Secret } from '@kubernetes/client-node';
import { isNotFound } from '../../runtime/errors.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import type { ReadonlyStore } from '../../runtime/store.ts';
import { policyAnnotation, retentionLabels } from './names.ts';
import type { RetentionTarget, SourceKey } from './registry-target.ts';
import { resources } from './resources.ts';

export class SourceMissingError extends Error {
  readonly source: SourceKey;
  constructor(source: SourceKey, detail: string) {
    super(`${source.field}: ${source.kind} ${source.namespace}/${source.name} ${detail}`);
    this.name = 'SourceMissingError';
    this.source = source;
  }
}

/**
 * Reads one key, base64 as stored. Dockyard's own Secrets come from the shared cache; a user's
 * Secret or ConfigMap (a retention credential, a CA bundle) is read when needed, as the Registry
 * controller reads them, since caching every Secret of the cluster is not ours to do.
 */
async function readKey(source: SourceKey, cachedSecrets: ReadonlyStore<KubeObject>, client: KubeClient, signal: AbortSignal): Promise<string | undefined> {
  const key = `${source.namespace}/${source.name}`;
  let object: { data?: Record<string, string> } | undefined =
    source.kind === 'Secret' ? (cachedSecrets.get(key) as { data?: Record<string, string> } | undefined) : undefined;
  if (object === undefined) {
    try {
      object = await client.get<KubeObject & { data?: Record<string, string> }>(
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
  if (source.kind === 'Secret') {
    const value = object?.data?.[source.key];
    if (value === undefined && !source.optional) throw new SourceMissingError(source, `has no key ${source.key}`);
    return value;
  }
  const text = (object as { data?: Record<string, string> } | undefined)?.data?.[source.key];
  if (text === undefined && !source.optional) throw new SourceMissingError(source, `has no key ${source.key}`);
  return text === undefined ? undefined : Buffer.from(text, 'utf8').toString('base64');
}

/**
 * The Secret the runs mount, in the jobs namespace: the credentials and CA copied from the
 * Registry's namespace. The run's ServiceAccount reads no Secret anywhere; the kubelet mounts
 * this one. Owned by the CronJob, so it goes when the CronJob goes.
 */
export async function credentialsCopy(
  target: RetentionTarget,
  copy: { name: string; namespace: string; policyKey: string; owner: { name: string; uid: string } },
  reading: { cachedSecrets: ReadonlyStore<KubeObject>; client: KubeClient; signal: AbortSignal },
): Promise<KubeObject & Pick<V1Secret, 'type' | 'data'>> {
  const read = (source: SourceKey) => readKey(source, reading.cachedSecrets, reading.client, reading.signal);
  const [username, password, ca] = await Promise.all([
    target.credentials ? read(target.credentials.username) : undefined,
    target.credentials ? read(target.credentials.password) : undefined,
    target.ca ? read(target.ca) : undefined,
  ]);
  const data: Record<string, string> = {
    ...(username !== undefined && password !== undefined ? { username, password } : {}),
    ...(ca !== undefined ? { 'ca.crt': ca } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: copy.name,
      namespace: copy.namespace,
      labels: { ...retentionLabels },
      annotations: { [policyAnnotation]: copy.policyKey },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: copy.owner.name, uid: copy.owner.uid }],
    },
    // An anonymous run's copy has no keys; an empty map would not survive the round trip through
    // the apiserver, and every reconcile would then apply it again.
    ...(Object.keys(data).length > 0 ? { data } : {}),
  };
}
