import { resources } from '../../src/controllers/registry/resources.ts';
import type { KubeClient } from '../../src/runtime/kube-client.ts';
import { keyOf, type KubeObject, type ResourceType } from '../../src/runtime/resource.ts';
import { withOwnerUids, type FinalObjects } from './final-objects.ts';
import { mapLimited } from '../../src/runtime/map-limited.ts';

/**
 * The floor: the fewest writes that produce what the operator produced, with no controller at
 * all. Each Registry is applied and its status applied through /status; then every child, its
 * ownerReferences re-pointed at the new Registries, is applied once. Server-side apply, `inFlight`
 * requests at a time. Returns when the last answer came, as [start, end] (Date.now()).
 */
export async function applyFloor(
  client: KubeClient,
  objects: FinalObjects,
  options: { fieldManager: string; inFlight: number },
): Promise<{ from: number; to: number }> {
  const apply = (resource: ResourceType, object: KubeObject, subresource?: string) =>
    client.patch<KubeObject>(resource, { namespace: object.metadata?.namespace, name: object.metadata?.name ?? '' }, 'apply', object, {
      fieldManager: options.fieldManager,
      force: true,
      fieldValidation: 'Strict',
      subresource,
    });
  const from = Date.now();
  const newUids = new Map<string, string>();
  await mapLimited(objects.registries, options.inFlight, async (registry) => {
    const created = await apply(resources.registries, registry.object).catch(failed(registry.object));
    newUids.set(registry.uid, created.metadata?.uid ?? '');
    await apply(resources.registries, registry.status, 'status').catch(failed(registry.status));
  });
  await mapLimited(objects.children, options.inFlight, ({ resource, object }) => apply(resource, withOwnerUids(object, newUids)).catch(failed(object)));
  return { from, to: Date.now() };
}

function failed(object: KubeObject): (error: unknown) => never {
  return (error) => {
    throw new Error(`floor: applying ${object.kind} ${keyOf(object)} failed: ${error instanceof Error ? error.message : String(error)}`);
  };
}
