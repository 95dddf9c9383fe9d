import type { Registry } from '../../../api/v1alpha1/registry.ts';
import { controllerReference } from '../../../runtime/owner-references.ts';
import type { KubeObject, OwnerReference } from '../../../runtime/resource.ts';
import { componentLabel, managedBy, managedByLabel, registryNameLabel } from '../../common/registry-children.ts';

/**
 * The standard instance label, on every child and Pod. Users select the registry's Pods with it
 * (the s3 sample's podAntiAffinity does), so it is part of the contract like the labels of controllers/common/registry-children.ts.
 */
export const instanceLabel = 'app.kubernetes.io/instance';

/**
 * On pull Secret copies: the namespace of the Registry they were copied from. Together with
 * registryNameLabel it identifies the source, so the fan-out finds (and removes) its copies in
 * every namespace with one label selector, and never touches another Registry's.
 */
export const sourceNamespaceLabel = 'dockyard.dev/registry-namespace';

/** Values of componentLabel: what part of a registry an object is. */
export const components = {
  registry: 'registry',
  nodeProxy: 'node-proxy',
  storage: 'storage',
  tls: 'tls',
  pullSecret: 'pull-secret',
  garbageCollection: 'garbage-collection',
} as const;
export type Component = (typeof components)[keyof typeof components];

/**
 * A child object as the builders return it: client-node's typed model (V1Deployment, ...) that is
 * also a runtime KubeObject, so it goes straight to the runtime's applyObject(). (The model
 * classes alone lack KubeObject's index signature and would need a cast at every call.)
 */
export type ChildObject<T> = T & KubeObject;

/** The metadata builders write; a plain object type, so it fits both V1ObjectMeta and KubeObject's. */
export interface ChildMetadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [field: string]: unknown;
}

/** Name and namespace of a Registry as read from the API; builders cannot work without them. */
export function registryIdentity(registry: Registry): { name: string; namespace: string } {
  const { name, namespace } = registry.metadata;
  if (!name || !namespace) throw new Error('a Registry needs metadata.name and metadata.namespace (use the object as read from the API)');
  return { name, namespace };
}

/** Labels of a child object (and of its Pods): enough to find it, and to tell what it is. */
export function childLabels(registry: Registry, component: Component): Record<string, string> {
  const { name } = registryIdentity(registry);
  return { [registryNameLabel]: name, [componentLabel]: component, [instanceLabel]: name, [managedByLabel]: managedBy };
}

/**
 * The labels a workload selects its Pods by. Selectors are immutable, so they hold only what can
 * never change for a given child: whose it is and which part it is.
 */
export function selectorLabels(registry: Registry, component: Component): Record<string, string> {
  const { name } = registryIdentity(registry);
  return { [registryNameLabel]: name, [componentLabel]: component };
}

/**
 * Metadata of a child in the Registry's namespace: name, labels and, unless `owned` is false, the
 * Registry as controller owner (so deleting the Registry deletes the child, and a change to the
 * child wakes the Registry's reconcile). Empty annotation maps are left out: the apiserver drops
 * them, and a desired `{}` that the live object lacks would look like a change on every reconcile.
 */
export function childMetadata(
  registry: Registry,
  options: { name: string; component: Component; owned?: boolean; annotations?: Record<string, string> },
): ChildMetadata {
  const { namespace } = registryIdentity(registry);
  const annotations = options.annotations !== undefined && Object.keys(options.annotations).length > 0 ? { annotations: options.annotations } : {};
  return {
    name: options.name,
    namespace,
    labels: childLabels(registry, options.component),
    ...annotations,
    ...(options.owned === false ? {} : { ownerReferences: [controllerReference(registry)] }),
  };
}
