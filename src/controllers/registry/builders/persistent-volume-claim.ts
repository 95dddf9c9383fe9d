import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames } from '../../common/registry-children.ts';
import { canonicalQuantity } from './quantity.ts';
import { childMetadata, type ChildObject, components, registryIdentity } from './metadata.ts';

/**
 * The claim that holds the images, or undefined when storage is not a persistentVolumeClaim.
 *
 * Ownership follows storage.deletionPolicy:
 * - Retain (the default): the claim carries NO ownerReference, so the garbage collector leaves it
 *   (and the images) when the Registry is deleted. It keeps its labels (registryNameLabel,
 *   instanceLabel) and its deterministic name, so a Registry created again under the same name
 *   adopts it: the next apply targets the same object. Because no ownerReference leads back to
 *   the Registry, the reconcile must map claim events to their Registry by label.
 * - Delete: the Registry is the claim's controller owner, and the claim goes with it.
 * Switching the policy later works both ways: server-side apply removes the ownerReference we
 * stop declaring, and adds it when we declare it again.
 *
 * Only the size can change after creation (expansion, when the StorageClass allows it); the
 * apiserver rejects a smaller size or another class or access mode, which the reconcile should
 * report as InvalidSpec.
 */
export function persistentVolumeClaim(registry: Registry): ChildObject<V1PersistentVolumeClaim> | undefined {
  const storage = registry.spec.storage;
  const claim = storage?.persistentVolumeClaim;
  if (storage === undefined || claim === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: childMetadata(registry, {
      name: childNames(registryIdentity(registry).name).claim,
      component: components.storage,
      owned: storage.deletionPolicy === 'Delete',
    }),
    spec: {
      accessModes: [claim.accessMode],
      resources: { requests: { storage: canonicalQuantity(claim.size) } },
      ...(claim.storageClassName !== undefined ? { storageClassName: claim.storageClassName } : {}),
    },
  };
}
