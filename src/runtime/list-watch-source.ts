import type { KubeClient, ObjectList, WatchEvent } from './kube-client.ts';
import { apiVersionOf, resourceLabel, type KubeObject, type ResourceType } from './resource.ts';

/** One collection an informer mirrors: a kind, optionally narrowed by namespace and selectors. */
export interface WatchTarget {
  resource: ResourceType;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A stable name for a target: informers are shared per name, and it labels logs and metrics. */
export function watchTargetName(target: WatchTarget): string {
  const scope = [
    target.namespace ? `namespace=${target.namespace}` : '',
    target.labelSelector ? `labels=${target.labelSelector}` : '',
    target.fieldSelector ? `fields=${target.fieldSelector}` : '',
  ].filter(Boolean);
  return scope.length === 0 ? resourceLabel(target.resource) : `${resourceLabel(target.resource)}[${scope.join(',')}]`;
}

/**
 * Where an informer gets its list and its watch. The apiserver in production; tests (and fault
 * injection in integration fixtures) substitute or wrap it.
 */
export interface ListWatchSource<T extends KubeObject> {
  list(options: { continueToken?: string; limit: number; signal: AbortSignal }): Promise<ObjectList<T>>;
  watch(options: { resourceVersion: string; timeoutSeconds: number; signal: AbortSignal }): AsyncIterable<WatchEvent<T>>;
}

export function apiListWatchSource<T extends KubeObject>(client: KubeClient, target: WatchTarget): ListWatchSource<T> {
  const { resource, ...scope } = target;
  return {
    list: async ({ continueToken, limit, signal }) => {
      const page = await client.list<T>(resource, { ...scope, continueToken, limit, signal });
      // List items come without apiVersion and kind; watched objects have them. Make the cache
      // uniform, so an object read from it can serve as an owner or an Event's subject.
      const typeMeta = { apiVersion: apiVersionOf(resource), kind: resource.kind };
      return { ...page, items: page.items.map((item) => withoutManagedFields({ ...typeMeta, ...item })) };
    },
    watch: async function* ({ resourceVersion, timeoutSeconds, signal }) {
      for await (const event of client.watch<T>(resource, { ...scope, resourceVersion, timeoutSeconds }, signal)) {
        yield { ...event, object: withoutManagedFields(event.object) };
      }
    },
  };
}

/**
 * Drops metadata.managedFields, which nothing here reads (server-side apply keeps field ownership
 * on the server) and which repeats the shape of every field each manager set, so it is a large
 * part of a typical object. Caches hold thousands of objects for the operator's whole life
 * (controller-runtime offers the same as TransformStripManagedFields).
 */
function withoutManagedFields<T extends KubeObject>(object: T): T {
  if (object.metadata?.managedFields === undefined) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}
