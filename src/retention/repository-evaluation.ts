import type { DecisionCounts, ManifestDecision, RepositoryDecisions, TagDecision } from './decisions.ts';
import { buildManifestGraph, spreadKeep, untaggedManifests, type ManifestGraph, type ManifestNode } from './manifest-graph.ts';
import { canonicalReasons, isNote, isSafetyRail, keeps, type Reason } from './reasons.ts';
import { applyRules, type CompiledRule, type RuleContext } from './rules.ts';
import { fallbackTagSubject, type InUseReference, type RepositorySnapshot, type UnparseableReference } from './snapshot.ts';
import { tagTimes } from './tag-times.ts';

export interface RepositoryPolicy {
  readonly rules: readonly CompiledRule[];
  readonly floor: number;
  readonly untaggedManifests: 'Keep' | 'Delete';
  readonly keepInUse: boolean;
}

/** How many users an in-use reason names; the rest are counted. */
const namedUsers = 5;

function subjectsOf(node: ManifestNode): string[] {
  const subjects = new Set<string>();
  if (node.subject !== undefined) subjects.add(node.subject);
  for (const tag of node.tags) {
    const subject = fallbackTagSubject(tag);
    if (subject !== undefined) subjects.add(subject);
  }
  subjects.delete(node.digest);
  return [...subjects].sort();
}

function markUntagged(graph: ManifestGraph, action: 'Keep' | 'Delete'): Set<string> {
  const untagged = new Set<string>();
  for (const node of untaggedManifests(graph)) {
    untagged.add(node.digest);
    const subjects = subjectsOf(node);
    const missingSubject = subjects.length > 0 && subjects.every((subject) => !graph.nodes.get(subject)?.present) ? subjects[0] : undefined;
    node.reasons.push(missingSubject === undefined ? { kind: 'untagged', action } : { kind: 'untagged', action, missingSubject });
  }
  return untagged;
}

function markInUse(graph: ManifestGraph, references: readonly InUseReference[]): void {
  const users = new Map<ManifestNode, Map<string, Set<string>>>();
  const add = (node: ManifestNode | undefined, key: string, usedBy: string) => {
    if (node === undefined) return;
    const byKey = users.get(node) ?? new Map<string, Set<string>>();
    users.set(node, byKey);
    const names = byKey.get(key) ?? new Set<string>();
    byKey.set(key, names);
    names.add(usedBy);
  };
  for (const reference of references) {
    if (reference.tag !== undefined) {
      const digest = graph.ordinaryTags.get(reference.tag)?.digest ?? graph.fallbackTags.get(reference.tag)?.tag.digest;
      if (digest !== undefined) add(graph.nodes.get(digest), `tag\u0000${reference.tag}`, reference.usedBy);
    }
    if (reference.digest !== undefined) {
      // A digest the snapshot lacks may still be a subject whose referrers must stay.
      const node = graph.nodes.get(reference.digest);
      if (node !== undefined) add(node, `digest\u0000${reference.digest}`, reference.usedBy);
    }
  }
  for (const [node, byKey] of users) {
    for (const [key, names] of byKey) {
      const [by, reference] = key.split('\u0000') as ['tag' | 'digest', string];
      const sorted = [...names].sort();
      node.reasons.push({ kind: 'inUse', by, reference, usedBy: sorted.slice(0, namedUsers), moreUsers: Math.max(0, sorted.length - namedUsers) });
    }
  }
}

function markDeletionCauses(graph: ManifestGraph, node: ManifestNode): void {
  for (const parent of node.parents) node.reasons.push({ kind: 'indexDeleted', index: parent });
  if (node.subject !== undefined && graph.nodes.get(node.subject)?.present) node.reasons.push({ kind: 'subjectDeleted', subject: node.subject });
  for (const tag of node.tags) {
    const subject = fallbackTagSubject(tag);
    if (subject !== undefined && graph.nodes.get(subject)?.present) node.reasons.push({ kind: 'subjectDeleted', subject, tag });
  }
}

/**
 * Decides every tag and manifest of one repository. Rules, the floor, use and `untaggedManifests`
 * give manifests their own reasons; keeping then spreads from each kept manifest to its children
 * and referrers. Keeping runs twice, first without the safety rails (in use, floor), so what only
 * they keep can be counted as protected.
 */
export function evaluateRepository(
  repository: RepositorySnapshot,
  policy: RepositoryPolicy,
  context: RuleContext,
  inUse: readonly InUseReference[],
  unparseable: readonly UnparseableReference[],
): RepositoryDecisions {
  const graph = buildManifestGraph(repository);
  const times = tagTimes(graph);
  applyRules(policy.rules, policy.floor, times, context);
  const untagged = markUntagged(graph, policy.untaggedManifests);
  if (policy.keepInUse) {
    markInUse(graph, inUse);
    for (const reference of unparseable) {
      for (const node of graph.nodes.values()) {
        if (node.present) node.reasons.push({ kind: 'unparseableInUse', reference: reference.reference, usedBy: reference.usedBy });
      }
    }
  }

  const nodes = [...graph.nodes.values()];
  spreadKeep(
    graph,
    nodes.filter((node) => node.reasons.some((reason) => keeps(reason) && !isSafetyRail(reason))),
  );
  const keptWithoutRails = new Set(nodes.filter((node) => node.kept));
  spreadKeep(
    graph,
    nodes.filter((node) => node.reasons.some(keeps)),
  );

  const pushedAt = new Map<ManifestNode, number>();
  for (const time of times) {
    if (time.pushedAt !== undefined && time.pushedAt > (pushedAt.get(time.node) ?? Number.NEGATIVE_INFINITY)) pushedAt.set(time.node, time.pushedAt);
  }

  const manifests: ManifestDecision[] = [];
  const tags: TagDecision[] = [];
  const counts = { evaluated: 0, kept: 0, deleted: 0, tagsDeleted: 0, protected: 0, deletedBytes: 0, deletedWithoutSize: 0 } satisfies DecisionCounts;
  for (const node of nodes.filter((entry) => entry.present).sort((a, b) => (a.digest < b.digest ? -1 : 1))) {
    if (!node.kept) markDeletionCauses(graph, node);
    const reasons = canonicalReasons(node.reasons.filter((reason: Reason) => isNote(reason) || keeps(reason) === node.kept));
    const action = node.kept ? 'Keep' : 'Delete';
    const isProtected = node.kept && !keptWithoutRails.has(node);
    const isUntagged = untagged.has(node.digest);
    manifests.push({
      digest: node.digest,
      mediaType: node.mediaType,
      size: node.size,
      action,
      reasons,
      tags: node.tags,
      pushedAt: pushedAt.get(node),
      children: node.children,
      subjects: subjectsOf(node),
      protected: isProtected,
      untagged: isUntagged,
    });
    for (const tag of node.tags) tags.push({ name: tag, digest: node.digest, action, reasons });
    const looked = node.tags.length + (isUntagged ? 1 : 0);
    counts.evaluated += looked;
    if (isProtected) counts.protected += 1;
    if (node.kept) counts.kept += looked;
    else {
      counts.deleted += 1;
      counts.tagsDeleted += node.tags.length;
      if (node.size === undefined) counts.deletedWithoutSize += 1;
      else counts.deletedBytes += node.size;
    }
  }
  tags.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { name: repository.name, manifests, tags, counts };
}
