import { groupOfApiVersion, type KubeObject, type OwnerReference, type ResourceType } from './resource.ts';

/**
 * The ownerReference that makes `owner` the controller of a child: the garbage collector deletes
 * the child with its owner, and the runtime maps the child's events back to the owner's key.
 */
export function controllerReference(owner: KubeObject): OwnerReference {
  const { apiVersion, kind } = owner;
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!apiVersion || !kind || !name || !uid) {
    throw new Error('an owner needs apiVersion, kind, metadata.name and metadata.uid (use the object as read from the API)');
  }
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/**
 * Returns `child` with `owner` as its controller reference, keeping other (non-controller)
 * references. Throws if another object already controls the child: two controllers fighting
 * over one object is a bug to surface, not to paper over.
 */
export function withControllerReference<T extends KubeObject>(child: T, owner: KubeObject): T {
  const reference = controllerReference(owner);
  const existing = child.metadata?.ownerReferences ?? [];
  const otherController = existing.find((ref) => ref.controller && ref.uid !== reference.uid);
  if (otherController) {
    throw new Error(`${child.metadata?.name ?? 'object'} is already controlled by ${otherController.kind} ${otherController.name}`);
  }
  const others = existing.filter((ref) => ref.uid !== reference.uid);
  return { ...child, metadata: { ...child.metadata, ownerReferences: [...others, reference] } };
}

/** The controller ownerReference of `object`, if any. */
function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** The controller reference of `object` when its controller is of kind `owner`. */
export function controllerOfKind(object: KubeObject, owner: ResourceType): OwnerReference | undefined {
  const reference = controllerOf(object);
  if (reference === undefined) return undefined;
  return reference.kind === owner.kind && groupOfApiVersion(reference.apiVersion) === owner.group ? reference : undefined;
}
