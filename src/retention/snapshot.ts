// What the retention engine decides from: a registry's repositories as the job runner read them,
// the push and pull times Dockyard recorded, and what the cluster runs. Plain data, no client:
// the runner (src/retention/runner/) fills it from the registry API and the cluster, tests and
// `dockyard retention plan` build it by hand or from a file. Times are milliseconds since the epoch.

/** One tag of a repository, with the push and pull times recorded for it, where there are any. */
export interface TagSnapshot {
  readonly name: string;
  readonly digest: string;
  /** When this tag was last pushed (set to its digest), from Dockyard's records. */
  readonly pushedAt?: number | undefined;
  /** When this tag was last pulled, from Dockyard's records. */
  readonly pulledAt?: number | undefined;
}

/** One manifest of a repository: an image, an index (multi-arch), or an artifact such as a signature. */
export interface ManifestSnapshot {
  readonly digest: string;
  readonly mediaType: string;
  /**
   * Bytes the manifest accounts for (itself, its config and layers), where known. An upper bound
   * of what deleting it frees: layers shared with kept images stay.
   */
  readonly size?: number | undefined;
  /** The image config's `created` time, where the manifest has a config that states one. */
  readonly created?: number | undefined;
  /** For an index: the digests of the manifests it lists. */
  readonly children?: readonly string[] | undefined;
  /** For a referrer (signature, SBOM, attestation): the digest of the manifest it refers to. */
  readonly subject?: string | undefined;
  /** When this digest was last pushed (by digest or through any tag), from Dockyard's records. */
  readonly pushedAt?: number | undefined;
  /** When this digest was last pulled (by digest or through any tag), from Dockyard's records. */
  readonly pulledAt?: number | undefined;
}

export interface RepositorySnapshot {
  readonly name: string;
  readonly tags: readonly TagSnapshot[];
  /**
   * The manifests the runner found: those tags point at, children of indexes, referrers (from the
   * referrers API or fallback tags), and any untagged ones it knows of. A digest that a tag or an
   * index names but that is missing here is still decided (as a manifest of unknown type).
   */
  readonly manifests: readonly ManifestSnapshot[];
}

export interface RegistrySnapshot {
  readonly repositories: readonly RepositorySnapshot[];
  /**
   * Since when Dockyard's pull records are complete; undefined when it keeps none for this
   * registry. Rules on pull times keep what they cannot judge from records that start too late.
   */
  readonly pullRecordsSince?: number | undefined;
}

/** An image reference found in the cluster, reduced to this registry's repository and tag or digest. */
export interface InUseReference {
  readonly repository: string;
  readonly tag?: string | undefined;
  readonly digest?: string | undefined;
  /** The object that uses it, such as `Pod team-a/web-1` or `Deployment team-a/web`. */
  readonly usedBy: string;
}

/** A reference the runner could not parse: it counts as in use for every repository it may name. */
export interface UnparseableReference {
  readonly reference: string;
  readonly usedBy: string;
}

export interface InUseSet {
  readonly references: readonly InUseReference[];
  readonly unparseable: readonly UnparseableReference[];
}

export const nothingInUse: InUseSet = { references: [], unparseable: [] };

const cosignTag = /^sha256-([a-f0-9]{64})\.(sig|att|sbom)$/;
const referrersSchemaTag = /^sha256-([a-f0-9]{64})$/;

/**
 * The subject a fallback tag attaches its manifest to: cosign's `sha256-<hex>.sig`, `.att` and
 * `.sbom`, and the OCI referrers tag schema's `sha256-<hex>` (an index listing the referrers of a
 * registry without the referrers API). Undefined for ordinary tags.
 */
export function fallbackTagSubject(tag: string): string | undefined {
  if (!tag.startsWith('sha256-')) return undefined;
  const match = cosignTag.exec(tag) ?? referrersSchemaTag.exec(tag);
  return match === null ? undefined : `sha256:${match[1]}`;
}
