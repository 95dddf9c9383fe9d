import { defaultRegistryImage, type Registry } from '../../../api/v1alpha1/registry.ts';
import { garbageCollectionReasons } from '../status/reasons.ts';

/**
 * Why a Registry's garbage collection cannot run as its spec asks, in words that say what to
 * change; undefined when it can. Checked before any gate goes up: these are refusals, not
 * failures, and they hold until the spec changes.
 */
export interface CollectionProblem {
  reason: CollectionProblemReason;
  field: string;
  message: string;
}

export const collectionProblemReasons = {
  storageNotShared: garbageCollectionReasons.storageUnsupported,
  multiArchUnsafe: garbageCollectionReasons.deleteUntaggedUnsafe,
} as const;
export type CollectionProblemReason = (typeof collectionProblemReasons)[keyof typeof collectionProblemReasons];

/** The major version of distribution an image runs, from its tag; undefined when the tag does not say (a digest alone, `latest`). */
export function distributionMajorVersion(image: string): number | undefined {
  const withoutDigest = image.split('@')[0]!;
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return undefined;
  const major = /^v?(\d+)(?:[.-]|$)/.exec(lastSegment.slice(colon + 1))?.[1];
  return major === undefined ? undefined : Number(major);
}

export function collectionProblem(registry: Registry): CollectionProblem | undefined {
  const spec = registry.spec;
  const collection = spec.garbageCollection;
  if (collection === undefined) return undefined;
  if (spec.storage?.emptyDir !== undefined) {
    return {
      reason: collectionProblemReasons.storageNotShared,
      field: 'spec.storage.emptyDir',
      message:
        'garbage collection runs in a Job beside the registry, which cannot mount the registry Pod’s emptyDir; use a persistentVolumeClaim or s3 storage, or remove spec.garbageCollection',
    };
  }
  if (spec.storage?.persistentVolumeClaim?.accessMode === 'ReadWriteOncePod') {
    return {
      reason: collectionProblemReasons.storageNotShared,
      field: 'spec.storage.persistentVolumeClaim.accessMode',
      message:
        'a ReadWriteOncePod claim is usable by the registry Pod alone, so the collector Job cannot mount it; use ReadWriteOnce (the Job then runs on the registry’s node) or ReadWriteMany',
    };
  }
  if (collection.deleteUntagged) {
    const image = spec.image ?? defaultRegistryImage;
    const major = distributionMajorVersion(image);
    if (major !== undefined && major < 3) {
      return {
        reason: collectionProblemReasons.multiArchUnsafe,
        field: 'spec.garbageCollection.deleteUntagged',
        message: `deleteUntagged is refused on distribution ${major}.x (${image}): its collector deletes the platform manifests of every multi-arch index, since they carry no tag of their own (distribution#3178, fixed only in 3.0 by #4285); use a 3.x image or set deleteUntagged to false`,
      };
    }
    if (major === undefined) {
      return {
        reason: collectionProblemReasons.multiArchUnsafe,
        field: 'spec.garbageCollection.deleteUntagged',
        message: `deleteUntagged needs distribution 3.x, and the tag of ${image} does not say its version (on 2.x it deletes the platform manifests of multi-arch indexes, distribution#3178); name the image by a 3.x tag or set deleteUntagged to false`,
      };
    }
  }
  return undefined;
}
