import type { V1DeploymentStrategy, V1Volume } from '@kubernetes/client-node';
import type { Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames } from '../../common/registry-children.ts';
import { registryIdentity } from './metadata.ts';
import { canonicalQuantity } from './quantity.ts';

/** The Pod volume that holds the images. */
export const storageVolumeName = 'storage';

/**
 * The Pod volume for the images, or undefined for s3 (distribution talks to the bucket itself).
 * Disk is the emptyDir default medium, written as "" (omitted), as the apiserver stores it.
 */
export function storageVolume(registry: Registry): V1Volume | undefined {
  const storage = registry.spec.storage;
  if (storage?.persistentVolumeClaim !== undefined) {
    return { name: storageVolumeName, persistentVolumeClaim: { claimName: childNames(registryIdentity(registry).name).claim } };
  }
  if (storage?.emptyDir !== undefined) {
    const { medium, sizeLimit } = storage.emptyDir;
    return {
      name: storageVolumeName,
      emptyDir: { ...(medium === 'Memory' ? { medium: 'Memory' } : {}), ...(sizeLimit !== undefined ? { sizeLimit: canonicalQuantity(sizeLimit) } : {}) },
    };
  }
  return undefined;
}

/**
 * How the registry Deployment replaces its Pods. A ReadWriteOnce(Pod) claim attaches to one node
 * (or one Pod) at a time, so a surge Pod would wait forever for the volume the old Pod holds:
 * Recreate stops the old Pod first, at the cost of a short outage. Shared storage (s3, a
 * ReadWriteMany claim) and emptyDir (each Pod has its own) roll one new Pod in before an old one
 * goes, so the registry stays up.
 */
export function rolloutStrategy(registry: Registry): V1DeploymentStrategy {
  const accessMode = registry.spec.storage?.persistentVolumeClaim?.accessMode;
  if (accessMode === 'ReadWriteOnce' || accessMode === 'ReadWriteOncePod') return { type: 'Recreate' };
  return { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
}

/**
 * Whether every replica sees the same images: a bucket, or a ReadWriteMany claim. Only then may
 * the registry run more than one Pod (the schema refuses more otherwise).
 */
export function sharedStorage(registry: Registry): boolean {
  const storage = registry.spec.storage;
  return storage?.s3 !== undefined || storage?.persistentVolumeClaim?.accessMode === 'ReadWriteMany';
}
