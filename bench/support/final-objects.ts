import { managedBy, managedByLabel } from '../../src/controllers/common/registry-children.ts';
import { resources } from '../../src/controllers/registry/resources.ts';
import type { KubeClient } from '../../src/runtime/kube-client.ts';
import { apiVersionOf, type KubeObject, type ResourceType } from '../../src/runtime/resource.ts';

/**
 * What the operator left in the cluster, as objects another client could apply from scratch:
 * every Registry (with its status) and every object labelled managed-by=dockyard of the kinds the
 * Registry controller writes.
 */
export interface FinalObjects {
  registries: {
    /** Its uid in the cluster it was read from, which its children's ownerReferences name. */
    uid: string;
    /** The Registry without status, ready to apply. */
    object: KubeObject;
    /** Its status, as a body for the /status subresource. */
    status: KubeObject;
  }[];
  /** The children, without status; ownerReferences still name the old Registries' uids. */
  children: { resource: ResourceType; object: KubeObject }[];
}

export const childResources: readonly ResourceType[] = [
  resources.secrets,
  resources.services,
  resources.deployments,
  resources.claims,
  resources.daemonSets,
  resources.ingresses,
];

/** Metadata the apiserver fills in, which a client never sends. */
const serverMetadata = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];
/** Annotations other controllers (not the operator) put on its objects. */
const foreignAnnotation = /^(deployment\.kubernetes\.io\/|pv\.kubernetes\.io\/|volume\.(beta\.)?kubernetes\.io\/)/;

function stripped(resource: ResourceType, object: KubeObject): KubeObject {
  const { status: _status, ...rest } = object;
  const metadata = Object.fromEntries(Object.entries(object.metadata ?? {}).filter(([key]) => !serverMetadata.includes(key)));
  const annotations = Object.fromEntries(Object.entries(object.metadata?.annotations ?? {}).filter(([key]) => !foreignAnnotation.test(key)));
  if (Object.keys(annotations).length > 0) metadata['annotations'] = annotations;
  else delete metadata['annotations'];
  const result: KubeObject = { ...rest, apiVersion: apiVersionOf(resource), kind: resource.kind, metadata };
  const spec = result['spec'] as Record<string, unknown> | undefined;
  // Allocated by the apiserver or the volume binder: a fresh cluster allocates its own.
  if (resource === resources.services && spec !== undefined) {
    const { clusterIP: _ip, clusterIPs: _ips, ...rest } = spec;
    result['spec'] = rest;
  }
  if (resource === resources.claims && spec !== undefined) {
    const { volumeName: _volume, ...rest } = spec;
    result['spec'] = rest;
  }
  return result;
}

async function listAll(client: KubeClient, resource: ResourceType, labelSelector?: string): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  let continueToken: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const list = await client.list(resource, { labelSelector, limit: 500, continueToken });
    items.push(...list.items);
    continueToken = list.metadata.continue;
    if (!continueToken) return items;
  }
  throw new Error(`listing ${resource.plural} did not end after 1000 pages`);
}

export async function readFinalObjects(client: KubeClient): Promise<FinalObjects> {
  const registries = await listAll(client, resources.registries);
  const children = await Promise.all(
    childResources.map(async (resource) =>
      (await listAll(client, resource, `${managedByLabel}=${managedBy}`)).map((object) => ({ resource, object: stripped(resource, object) })),
    ),
  );
  return {
    registries: registries.map((registry) => ({
      uid: registry.metadata?.uid ?? '',
      object: stripped(resources.registries, registry),
      status: {
        apiVersion: apiVersionOf(resources.registries),
        kind: resources.registries.kind,
        metadata: { name: registry.metadata?.name, namespace: registry.metadata?.namespace },
        status: registry['status'] ?? {},
      },
    })),
    children: children.flat(),
  };
}

/** A copy of `object` whose ownerReferences point at new uids where `uids` maps the old ones. */
export function withOwnerUids(object: KubeObject, uids: ReadonlyMap<string, string>): KubeObject {
  const owners = object.metadata?.ownerReferences;
  if (owners === undefined) return object;
  return { ...object, metadata: { ...object.metadata, ownerReferences: owners.map((owner) => ({ ...owner, uid: uids.get(owner.uid) ?? owner.uid })) } };
}
