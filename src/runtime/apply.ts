import { createHash } from 'node:crypto';
import { jsonContains, stableStringify } from './json-compare.ts';
import type { KubeClient } from './kube-client.ts';
import { apiVersionOf, type KubeObject, type ResourceType } from './resource.ts';

/** The one field manager every write of the operator uses, so ownership of fields is clear. */
export const fieldManager = 'dockyard';

/**
 * The hash of what we last applied, kept on the object. Server-side apply removes fields we
 * stop applying, but an "is it already there?" check cannot see a field we stopped applying
 * (it is still there): the hash changes whenever the desired object does, removals included.
 */
export const appliedHashAnnotation = 'dockyard.dev/applied-hash';

export interface ApplyResult<T> {
  object: T;
  /** False when the live object already matched and no request was sent. */
  written: boolean;
}

/**
 * Server-side applies `desired` as field manager `dockyard`, with `force` (we are the only
 * writer of the fields we declare) and strict field validation (a typo in a builder fails loudly
 * instead of being dropped). When `live` (usually from the informer cache) already carries
 * everything `desired` says and the same applied hash, nothing is sent: a no-op reconcile writes
 * nothing.
 */
export async function applyObject<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceType,
  desired: T,
  options: { live?: T; signal?: AbortSignal } = {},
): Promise<ApplyResult<T>> {
  const name = desired.metadata?.name;
  if (!name) throw new Error(`cannot apply a ${resource.kind} without metadata.name`);
  const body = withAppliedHash({ ...desired, apiVersion: apiVersionOf(resource), kind: resource.kind });
  const { live } = options;
  // Objects listed (rather than watched) carry no apiVersion/kind, so those are not compared.
  if (live !== undefined && jsonContains(live, { ...body, apiVersion: undefined, kind: undefined })) return { object: live, written: false };
  const object = await client.patch<T>(resource, { namespace: desired.metadata?.namespace, name }, 'apply', body, {
    fieldManager,
    force: true,
    fieldValidation: 'Strict',
    signal: options.signal,
  });
  return { object, written: true };
}

function withAppliedHash<T extends KubeObject>(object: T): T {
  const { [appliedHashAnnotation]: _previous, ...annotations } = object.metadata?.annotations ?? {};
  const unhashed = { ...object, metadata: { ...object.metadata, annotations } };
  const hash = createHash('sha256').update(stableStringify(unhashed)).digest('hex').slice(0, 16);
  return { ...object, metadata: { ...object.metadata, annotations: { ...annotations, [appliedHashAnnotation]: hash } } };
}
