import { fallbackTagSubject, type ManifestSnapshot, type RepositorySnapshot, type TagSnapshot } from './snapshot.ts';
import type { Reason } from './reasons.ts';

// The manifests of one repository as a graph: a kept manifest keeps the children it lists (an
// index keeps its platform images) and its referrers (signatures, SBOMs, attestations, named
// by their `subject` or attached by a fallback tag). Decisions spread along these edges.

export interface ManifestNode {
  readonly digest: string;
  /** False for a digest known only as a subject or an in-use reference: never decided, never reported. */
  present: boolean;
  mediaType: string;
  size: number | undefined;
  created: number | undefined;
  pushedAt: number | undefined;
  pulledAt: number | undefined;
  subject: string | undefined;
  // Most manifests have no children, parents, referrers or fallback tags: these lists start as the
  // one shared empty list and get their own on the first entry (see `appended`), which spares
  // the garbage collector half a million empty arrays at 100,000 tags.
  children: readonly string[];
  /** Indexes that list this manifest. */
  parents: readonly string[];
  /** Manifests whose `subject` is this one. */
  referrers: readonly string[];
  /** Fallback tags (`sha256-<hex>.sig`, `sha256-<hex>`) attached to this manifest as subject: tag -> their manifest. */
  attachedByTag: readonly { tag: string; digest: string }[];
  /** Every tag that points at this manifest, ordinary or fallback, sorted by name. */
  readonly tags: string[];
  readonly reasons: Reason[];
  kept: boolean;
}

export interface ManifestGraph {
  readonly nodes: Map<string, ManifestNode>;
  /** Ordinary tags by name (fallback tags are decided through their subject). */
  readonly ordinaryTags: Map<string, TagSnapshot>;
  /** Fallback tags: name -> the tag and the subject it attaches its manifest to. */
  readonly fallbackTags: Map<string, { tag: TagSnapshot; subject: string }>;
}

const none: readonly never[] = Object.freeze([]);

function appended<T>(list: readonly T[], item: T): readonly T[] {
  if (list === none) return [item];
  (list as T[]).push(item);
  return list;
}

function emptyNode(digest: string, present: boolean): ManifestNode {
  return {
    digest,
    present,
    mediaType: '',
    size: undefined,
    created: undefined,
    pushedAt: undefined,
    pulledAt: undefined,
    subject: undefined,
    children: none,
    parents: none,
    referrers: none,
    attachedByTag: none,
    tags: [],
    reasons: [],
    kept: false,
  };
}

const later = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
const lesser = (a: string | undefined, b: string | undefined): string | undefined => (a === undefined ? b : b === undefined ? a : a < b ? a : b);

/** A manifest listed twice merges field by field in a way that does not depend on which came first. */
function absorb(node: ManifestNode, manifest: ManifestSnapshot): void {
  node.present = true;
  node.mediaType = node.mediaType === '' ? manifest.mediaType : (lesser(node.mediaType, manifest.mediaType) ?? '');
  node.size = later(node.size, manifest.size);
  node.created = later(node.created, manifest.created);
  node.pushedAt = later(node.pushedAt, manifest.pushedAt);
  node.pulledAt = later(node.pulledAt, manifest.pulledAt);
  node.subject = lesser(node.subject, manifest.subject);
  if (manifest.children !== undefined) node.children = [...new Set([...node.children, ...manifest.children])].sort();
}

/** Duplicate tag names (a registry never lists them) resolve to the smallest digest, with the latest times. */
function mergeTag(existing: TagSnapshot | undefined, tag: TagSnapshot): TagSnapshot {
  if (existing === undefined) return tag;
  return {
    name: tag.name,
    digest: lesser(existing.digest, tag.digest)!,
    pushedAt: later(existing.pushedAt, tag.pushedAt),
    pulledAt: later(existing.pulledAt, tag.pulledAt),
  };
}

export function buildManifestGraph(repository: RepositorySnapshot): ManifestGraph {
  const nodes = new Map<string, ManifestNode>();
  const node = (digest: string, present: boolean): ManifestNode => {
    let found = nodes.get(digest);
    if (found === undefined) {
      found = emptyNode(digest, present);
      nodes.set(digest, found);
    } else if (present) found.present = true;
    return found;
  };
  for (const manifest of repository.manifests) absorb(node(manifest.digest, true), manifest);

  const tagsByName = new Map<string, TagSnapshot>();
  for (const tag of repository.tags) tagsByName.set(tag.name, mergeTag(tagsByName.get(tag.name), tag));
  const ordinaryTags = new Map<string, TagSnapshot>();
  const fallbackTags = new Map<string, { tag: TagSnapshot; subject: string }>();
  for (const tag of [...tagsByName.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // A tag names a manifest the registry serves, even when the runner could not read it.
    node(tag.digest, true).tags.push(tag.name);
    const subject = fallbackTagSubject(tag.name);
    if (subject === undefined) ordinaryTags.set(tag.name, tag);
    else fallbackTags.set(tag.name, { tag, subject });
  }

  for (const parent of [...nodes.values()]) {
    for (const digest of parent.children) {
      const child = node(digest, true);
      child.parents = appended(child.parents, parent.digest);
    }
  }
  for (const referrer of [...nodes.values()]) {
    if (referrer.subject !== undefined && referrer.subject !== referrer.digest) {
      const subject = node(referrer.subject, false);
      subject.referrers = appended(subject.referrers, referrer.digest);
    }
  }
  for (const { tag, subject } of fallbackTags.values()) {
    const target = node(subject, false);
    target.attachedByTag = appended(target.attachedByTag, { tag: tag.name, digest: tag.digest });
  }
  for (const entry of nodes.values()) {
    if (entry.parents.length > 1) (entry.parents as string[]).sort();
    if (entry.referrers.length > 1) (entry.referrers as string[]).sort();
  }
  return { nodes, ordinaryTags, fallbackTags };
}

/**
 * Calls `visit` for every manifest an edge leads to from `node` (its children, its referrers,
 * the manifests fallback tags attach to it), with the reason a kept `node` gives that manifest.
 * The reason is built only when asked for: reachability needs none.
 */
export function forEachEdge(node: ManifestNode, visit: (digest: string, reason: () => Reason) => void): void {
  for (const child of node.children) if (child !== node.digest) visit(child, () => ({ kind: 'childOf', index: node.digest }));
  for (const referrer of node.referrers) visit(referrer, () => ({ kind: 'referrerOf', subject: node.digest }));
  for (const { tag, digest } of node.attachedByTag) if (digest !== node.digest) visit(digest, () => ({ kind: 'referrerOf', subject: node.digest, tag }));
}

/** Present manifests that no ordinary tag reaches through children, referrers or fallback tags. */
export function untaggedManifests(graph: ManifestGraph): ManifestNode[] {
  const reached = new Set<string>();
  const pending: string[] = [];
  for (const tag of graph.ordinaryTags.values()) {
    if (!reached.has(tag.digest)) {
      reached.add(tag.digest);
      pending.push(tag.digest);
    }
  }
  for (let digest = pending.pop(); digest !== undefined; digest = pending.pop()) {
    forEachEdge(graph.nodes.get(digest)!, (next) => {
      if (!reached.has(next)) {
        reached.add(next);
        pending.push(next);
      }
    });
  }
  return [...graph.nodes.values()].filter((entry) => entry.present && !reached.has(entry.digest));
}

/**
 * Marks as kept every manifest in `seeds` and everything reachable from them, adding a reason to
 * each manifest for every kept manifest that leads to it.
 */
export function spreadKeep(graph: ManifestGraph, seeds: Iterable<ManifestNode>): void {
  const pending: ManifestNode[] = [];
  for (const seed of seeds) {
    if (!seed.kept) {
      seed.kept = true;
      pending.push(seed);
    }
  }
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    forEachEdge(current, (digest, reason) => {
      const next = graph.nodes.get(digest)!;
      next.reasons.push(reason());
      if (!next.kept) {
        next.kept = true;
        pending.push(next);
      }
    });
  }
}
