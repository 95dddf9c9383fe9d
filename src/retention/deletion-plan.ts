import type { Evaluation, ManifestDecision } from './decisions.ts';

// What the runner must do to carry out an evaluation, in an order that leaves the registry
// consistent if a run stops halfway:
// - referrers before their subject: a signature is never left pointing at a deleted image (it
//   would then look untagged and stay forever under `untaggedManifests: Keep`);
// - an index before the manifests it lists: no tag ever names an index whose platform images
//   are gone.
// The remaining deletions are still planned on the next run (safe to interrupt and re-run).
//
// Distribution versions differ in how they delete (see DESIGN.md): 2.8 deletes only by digest
// (and removes every tag on it, reading every tag of the repository to find them); 3.x also
// untags by tag and leaves the untagged manifest to garbage collection. So every deletion names
// both its digest and its tags, and `deletionRequests` maps the plan to either.

export interface ManifestDeletion {
  readonly digest: string;
  /** Every tag on the manifest: all go, as its decision says. */
  readonly tags: readonly string[];
  readonly size?: number | undefined;
}

export interface RepositoryDeletions {
  readonly repository: string;
  /** In the order to carry out. */
  readonly deletions: readonly ManifestDeletion[];
}

export interface DeletionPlan {
  /** Repositories with something to delete, by name. */
  readonly repositories: readonly RepositoryDeletions[];
  readonly manifests: number;
  readonly tags: number;
}

function append(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * A manifest on a cycle of must-precede constraints among those not yet ordered. Content
 * addressing rules cycles out in a real registry, but a hand-made snapshot, or a fallback tag that
 * attaches an index's own child to it, can make one: walking back through what must precede
 * (smallest digest first) from the smallest remaining digest must come round to one.
 */
function onCycle(deleted: readonly ManifestDecision[], done: ReadonlySet<string>, before: ReadonlyMap<string, string[]>): string {
  let current = deleted
    .map((manifest) => manifest.digest)
    .filter((digest) => !done.has(digest))
    .sort()[0]!;
  const visited = new Set<string>();
  while (!visited.has(current)) {
    visited.add(current);
    current = (before.get(current) ?? []).filter((digest) => !done.has(digest)).sort()[0]!;
  }
  return current;
}

/** Orders deletions so each comes after everything that must go before it; ties (and any cycle) by digest. */
function ordered(deleted: readonly ManifestDecision[]): ManifestDecision[] {
  const byDigest = new Map(deleted.map((manifest) => [manifest.digest, manifest]));
  const after = new Map<string, string[]>();
  const before = new Map<string, string[]>();
  const waitingOn = new Map<string, number>(deleted.map((manifest) => [manifest.digest, 0]));
  const mustPrecede = (first: string, second: string) => {
    if (first === second || !byDigest.has(first) || !byDigest.has(second)) return;
    append(after, first, second);
    append(before, second, first);
    waitingOn.set(second, waitingOn.get(second)! + 1);
  };
  for (const manifest of deleted) {
    for (const child of manifest.children) mustPrecede(manifest.digest, child);
    for (const subject of manifest.subjects) mustPrecede(manifest.digest, subject);
  }
  const order: ManifestDecision[] = [];
  const done = new Set<string>();
  let ready = deleted.filter((manifest) => waitingOn.get(manifest.digest) === 0).map((manifest) => manifest.digest);
  while (done.size < deleted.length) {
    if (ready.length === 0) ready = [onCycle(deleted, done, before)];
    ready.sort();
    const next: string[] = [];
    for (const digest of ready) {
      if (done.has(digest)) continue;
      done.add(digest);
      order.push(byDigest.get(digest)!);
      for (const successor of after.get(digest) ?? []) {
        const left = waitingOn.get(successor)! - 1;
        waitingOn.set(successor, left);
        if (left === 0) next.push(successor);
      }
    }
    ready = next;
  }
  return order;
}

/** The deletions an evaluation calls for; none when a safety rail aborted it. */
export function planDeletions(evaluation: Evaluation): DeletionPlan {
  if (evaluation.outcome === 'Aborted') return { repositories: [], manifests: 0, tags: 0 };
  const repositories: RepositoryDeletions[] = [];
  let manifests = 0;
  let tags = 0;
  for (const repository of evaluation.repositories) {
    const deleted = repository.manifests.filter((manifest) => manifest.action === 'Delete');
    if (deleted.length === 0) continue;
    const deletions = ordered(deleted).map(({ digest, tags, size }) => (size === undefined ? { digest, tags } : { digest, tags, size }));
    repositories.push({ repository: repository.name, deletions });
    manifests += deletions.length;
    tags += deletions.reduce((sum, deletion) => sum + deletion.tags.length, 0);
  }
  return { repositories, manifests, tags };
}

/**
 * - `byDigest` (distribution 2.8, or any registry): one DELETE of each manifest by digest; the
 *   registry removes the tags on it.
 * - `untagByTag` (distribution 3.x): a DELETE by tag for each tag, which leaves the manifest to
 *   garbage collection; manifests without tags (index children, referrers, untagged ones) are
 *   deleted by digest, as there is no tag to remove.
 */
export type DeletionStrategy = 'byDigest' | 'untagByTag';

export type DeletionRequest =
  | { readonly kind: 'deleteManifest'; readonly repository: string; readonly digest: string }
  | { readonly kind: 'untag'; readonly repository: string; readonly tag: string; readonly digest: string };

/** The registry requests that carry out the plan, in plan order. */
export function deletionRequests(plan: DeletionPlan, strategy: DeletionStrategy): DeletionRequest[] {
  const requests: DeletionRequest[] = [];
  for (const { repository, deletions } of plan.repositories) {
    for (const { digest, tags } of deletions) {
      if (strategy === 'untagByTag' && tags.length > 0) for (const tag of tags) requests.push({ kind: 'untag', repository, tag, digest });
      else requests.push({ kind: 'deleteManifest', repository, digest });
    }
  }
  return requests;
}
