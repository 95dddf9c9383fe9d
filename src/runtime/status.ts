import { fieldManager } from './apply.ts';
import { jsonEqual } from './json-compare.ts';
import type { KubeClient } from './kube-client.ts';
import { apiVersionOf, type KubeObject, type ResourceType } from './resource.ts';

/**
 * Writes `status` of `live` through the /status subresource only (never touching spec or
 * metadata), by server-side apply under our field manager, so fields we stop reporting are
 * removed. Skips the request when the live status already equals `status`: compute the whole
 * status each time, with conditions from setCondition(), and an unchanged world writes nothing.
 * Returns whether a request was sent.
 */
export async function writeStatus<S>(
  client: KubeClient,
  resource: ResourceType,
  live: KubeObject,
  status: S,
  options: { signal?: AbortSignal } = {},
): Promise<boolean> {
  if (jsonEqual(normalise(live['status']), normalise(status))) return false;
  const name = live.metadata?.name;
  if (!name) throw new Error(`cannot write the status of a ${resource.kind} without metadata.name`);
  const namespace = live.metadata?.namespace;
  await client.patch(
    resource,
    { namespace, name },
    'apply',
    { apiVersion: apiVersionOf(resource), kind: resource.kind, metadata: { name, namespace }, status },
    { subresource: 'status', fieldManager, force: true, fieldValidation: 'Strict', signal: options.signal },
  );
  return true;
}

/** What the apiserver would store: undefined members dropped, as JSON serialisation does. */
function normalise(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
