/**
 * What the runtime needs to know about a kind to talk to the API for it. Declared, not discovered:
 * discovery costs a request per group at start-up and hides typos until run time, while a
 * declaration is checked once by the start-up checks (CRD present, RBAC granted).
 */
export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The lower-case plural used in URLs. */
  plural: string;
  namespaced: boolean;
  /** True for kinds served by a CustomResourceDefinition, which the start-up checks look for. */
  customResource?: boolean;
}

/** The part of every Kubernetes object the runtime reads. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Names one object: the namespace is absent for cluster-scoped kinds. */
export interface ObjectKey {
  namespace?: string;
  name: string;
}

export function apiVersionOf(resource: ResourceType): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** The group part of an apiVersion such as "apps/v1" ("" for "v1"). */
export function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The name of the CustomResourceDefinition that serves a custom kind. */
export function crdNameOf(resource: ResourceType): string {
  return `${resource.plural}.${resource.group}`;
}

/** A short, unique label for logs and metrics: "configmaps", "registries.dockyard.dev". */
export function resourceLabel(resource: ResourceType): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
}

/**
 * The URL path of a collection or of one object. A namespaced kind without a namespace addresses
 * the collection across all namespaces, which is what informers list and watch.
 */
export function resourcePath(resource: ResourceType, key: Partial<ObjectKey> = {}, subresource?: string): string {
  const parts = [resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`];
  if (resource.namespaced && key.namespace) parts.push('namespaces', encodeURIComponent(key.namespace));
  parts.push(resource.plural);
  if (key.name) parts.push(encodeURIComponent(key.name));
  if (subresource) parts.push(subresource);
  return parts.join('/');
}

/** The workqueue key of an object: "namespace/name", or "name" when cluster-scoped. */
export function keyOf(object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  return formatKey({ namespace: object.metadata?.namespace, name });
}

export function formatKey(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

export function parseKey(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Kinds the runtime itself uses. */
export const coreResources = {
  configMaps: { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  namespaces: { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  leases: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  events: { group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  customResourceDefinitions: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
} as const satisfies Record<string, ResourceType>;
