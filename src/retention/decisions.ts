import type { Reason } from './reasons.ts';

// What the engine decided: every manifest and every tag of each selected repository, Keep or
// Delete, with every reason that applied. A tag always shares its manifest's decision: a kept
// image keeps every tag on it, and a deleted manifest takes its tags with it.

export type Action = 'Keep' | 'Delete';

export interface ManifestDecision {
  readonly digest: string;
  /** Empty when the runner could not read the manifest (a tag or an index names it). */
  readonly mediaType: string;
  readonly size?: number | undefined;
  readonly action: Action;
  /** The reasons for the action (every one that applied), then notes such as a created time standing in for a push time. */
  readonly reasons: readonly Reason[];
  /** Every tag on the manifest, ordinary and fallback, sorted. */
  readonly tags: readonly string[];
  /** The latest push time of its ordinary tags (a record, else the created time), where known. */
  readonly pushedAt?: number | undefined;
  /** The manifests it lists (an index). */
  readonly children: readonly string[];
  /** The manifests it refers to: its `subject`, and the subjects of fallback tags on it. */
  readonly subjects: readonly string[];
  /** Kept only because it is in use or under the floor. */
  readonly protected: boolean;
  /** No ordinary tag reaches it (through an index or as a referrer): `untaggedManifests` decided. */
  readonly untagged: boolean;
}

export interface TagDecision {
  readonly name: string;
  readonly digest: string;
  readonly action: Action;
  /** The same reasons as its manifest's decision. */
  readonly reasons: readonly Reason[];
}

export interface DecisionCounts {
  /** Tags plus untagged manifests the policy looked at. */
  readonly evaluated: number;
  /** Of those, how many stay. */
  readonly kept: number;
  /** Manifests deleted (with their tags). */
  readonly deleted: number;
  readonly tagsDeleted: number;
  /** Manifests kept only because they are in use or under the floor. */
  readonly protected: number;
  /** Sum of the known sizes of deleted manifests: an upper bound, as layers may be shared. */
  readonly deletedBytes: number;
  readonly deletedWithoutSize: number;
}

export interface RepositoryDecisions {
  readonly name: string;
  /** Sorted by digest. */
  readonly manifests: readonly ManifestDecision[];
  /** Sorted by name. */
  readonly tags: readonly TagDecision[];
  readonly counts: DecisionCounts;
}

export interface Evaluation {
  readonly evaluatedAt: number;
  /** Planned: the deletions may go ahead. Aborted: a safety rail tripped and nothing may be deleted. */
  readonly outcome: 'Planned' | 'Aborted';
  readonly message: string;
  /** Selected repositories, sorted by name. */
  readonly repositories: readonly RepositoryDecisions[];
  /** References the runner could not parse; each protects every repository it may name. */
  readonly unparseableReferences: readonly { readonly reference: string; readonly usedBy: string }[];
  readonly counts: DecisionCounts & { readonly repositories: number };
}

export function addCounts(a: DecisionCounts, b: DecisionCounts): DecisionCounts {
  return {
    evaluated: a.evaluated + b.evaluated,
    kept: a.kept + b.kept,
    deleted: a.deleted + b.deleted,
    tagsDeleted: a.tagsDeleted + b.tagsDeleted,
    protected: a.protected + b.protected,
    deletedBytes: a.deletedBytes + b.deletedBytes,
    deletedWithoutSize: a.deletedWithoutSize + b.deletedWithoutSize,
  };
}

export const noCounts: DecisionCounts = { evaluated: 0, kept: 0, deleted: 0, tagsDeleted: 0, protected: 0, deletedBytes: 0, deletedWithoutSize: 0 };
