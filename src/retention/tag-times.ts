import type { ManifestGraph, ManifestNode } from './manifest-graph.ts';
import type { TagSnapshot } from './snapshot.ts';

// Push and pull times of ordinary tags. No registry API tells them: Dockyard records them where
// it runs the registry. Without a push record the image config's `created` time stands in (build
// time, which reproducible builds set to 1970, so the report says when it did); without either,
// the tag is kept and flagged rather than ranked on a guess.

export interface TagTimes {
  readonly tag: TagSnapshot;
  readonly node: ManifestNode;
  /** Undefined when there is neither a push record nor a created time. */
  readonly pushedAt: number | undefined;
  readonly pushedAtFromCreated: boolean;
  readonly pulledAt: number | undefined;
}

/** The config's created time; for an index, the latest of its children's. */
function createdOf(graph: ManifestGraph, node: ManifestNode): number | undefined {
  if (node.created !== undefined) return node.created;
  let latest: number | undefined;
  for (const child of node.children) {
    const created = graph.nodes.get(child)?.created;
    if (created !== undefined && (latest === undefined || created > latest)) latest = created;
  }
  return latest;
}

export function tagTimes(graph: ManifestGraph): TagTimes[] {
  const times: TagTimes[] = [];
  for (const tag of graph.ordinaryTags.values()) {
    const node = graph.nodes.get(tag.digest)!;
    const recorded = tag.pushedAt ?? node.pushedAt;
    const created = recorded === undefined ? createdOf(graph, node) : undefined;
    const pulls = [tag.pulledAt, node.pulledAt].filter((at) => at !== undefined);
    times.push({
      tag,
      node,
      pushedAt: recorded ?? created,
      pushedAtFromCreated: recorded === undefined && created !== undefined,
      pulledAt: pulls.length === 0 ? undefined : Math.max(...pulls),
    });
  }
  return times;
}

/** One image (digest) as a set of tags sees it: the tag with the latest time speaks for it. */
export interface ImageTime {
  readonly node: ManifestNode;
  readonly tag: string;
  readonly at: number | undefined;
}

/**
 * Groups tags by image, keeping for each the tag with the latest `time` (ties: the smaller
 * name); images whose tags all lack the time have `at` undefined and their smallest tag name.
 */
export function imagesOf(tags: readonly TagTimes[], time: (tag: TagTimes) => number | undefined): ImageTime[] {
  const byDigest = new Map<string, ImageTime>();
  for (const tag of tags) {
    const at = time(tag);
    const current = byDigest.get(tag.node.digest);
    const better =
      current === undefined || (at !== undefined && (current.at === undefined || at > current.at)) || (at === current.at && tag.tag.name < current.tag);
    if (better) byDigest.set(tag.node.digest, { node: tag.node, tag: tag.tag.name, at });
  }
  return [...byDigest.values()];
}

/** Most recent first; equal times by digest, so the order never depends on how tags were listed. */
export function byRecency(a: { at: number | undefined; node: ManifestNode }, b: { at: number | undefined; node: ManifestNode }): number {
  if (a.at !== b.at) {
    if (a.at === undefined) return 1;
    if (b.at === undefined) return -1;
    return b.at - a.at;
  }
  return a.node.digest < b.node.digest ? -1 : a.node.digest > b.node.digest ? 1 : 0;
}
