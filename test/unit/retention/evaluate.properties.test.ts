import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationMilliseconds } from '../../../src/api/v1alpha1/duration.ts';
import type { Evaluation, ManifestDecision } from '../../../src/retention/decisions.ts';
import { deletionRequests, planDeletions, type DeletionStrategy } from '../../../src/retention/deletion-plan.ts';
import { evaluate, type RetentionRules } from '../../../src/retention/evaluate.ts';
import { isNote, keeps } from '../../../src/retention/reasons.ts';
import type { InUseSet, RegistrySnapshot, RepositorySnapshot } from '../../../src/retention/snapshot.ts';
import { inUseSet, registrySnapshot, retentionRules, shuffled } from './arbitraries.ts';
import { now } from './builders.ts';

// The engine's invariants over random registries, policies and use. Each oracle below is written
// from the CRD's documentation, independently of the engine's code.

const runs = { numRuns: 250 };
const fallbackTag = /^sha256-([a-f0-9]{64})(\.(sig|att|sbom))?$/;
const globRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.]/g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

function decisionsOf(evaluation: Evaluation, repository: string): Map<string, ManifestDecision> {
  const found = evaluation.repositories.find((entry) => entry.name === repository);
  return new Map((found?.manifests ?? []).map((decision) => [decision.digest, decision]));
}

function selected(snapshot: RegistrySnapshot, evaluation: Evaluation): RepositorySnapshot[] {
  const names = new Set(evaluation.repositories.map((repository) => repository.name));
  return snapshot.repositories.filter((repository) => names.has(repository.name));
}

/** Ordinary tags with the push and pull times the CRD describes: the record, else the created time. */
function ordinaryTags(repository: RepositorySnapshot) {
  const manifests = new Map(repository.manifests.map((manifest) => [manifest.digest, manifest]));
  return repository.tags
    .filter((tag) => !fallbackTag.test(tag.name))
    .map((tag) => {
      const manifest = manifests.get(tag.digest);
      const childCreated = (manifest?.children ?? []).map((child) => manifests.get(child)?.created).filter((at) => at !== undefined);
      const created = manifest?.created ?? (childCreated.length > 0 ? Math.max(...childCreated) : undefined);
      const pulls = [tag.pulledAt, manifest?.pulledAt].filter((at) => at !== undefined);
      return { ...tag, pushed: tag.pushedAt ?? manifest?.pushedAt ?? created, pulled: pulls.length > 0 ? Math.max(...pulls) : undefined };
    });
}

/** Digests that must be kept because they are among the N most recent images by `time`: strictly newer than the (N+1)th. */
function surelyAmongMostRecent<T extends { digest: string }>(tags: readonly T[], count: number, time: (tag: T) => number | undefined): string[] {
  const latest = new Map<string, number>();
  for (const tag of tags) {
    const at = time(tag);
    if (at !== undefined) latest.set(tag.digest, Math.max(at, latest.get(tag.digest) ?? Number.NEGATIVE_INFINITY));
  }
  const times = [...latest.values()].sort((a, b) => b - a);
  const cutoff = times.length > count ? times[count]! : Number.NEGATIVE_INFINITY;
  return [...latest].filter(([, at]) => at > cutoff).map(([digest]) => digest);
}

/** Digests some rule, the floor or the push-time check keeps, computed from the CRD's wording. */
function keptByPolicy(repository: RepositorySnapshot, rules: RetentionRules, pullRecordsSince: number | undefined): Set<string> {
  const tags = ordinaryTags(repository);
  const kept = new Set<string>();
  const inScope = new Set<string>();
  for (const rule of rules.rules) {
    const matching = tags.filter((tag) => rule.tags === undefined || rule.tags.some((glob) => globRegExp(glob).test(tag.name)));
    for (const tag of matching) inScope.add(tag.name);
    const add = (digests: Iterable<string>) => {
      for (const digest of digests) kept.add(digest);
    };
    if (rule.always) add(matching.map((tag) => tag.digest));
    if (rule.pushedWithin !== undefined) {
      const cutoff = now - durationMilliseconds(rule.pushedWithin);
      add(matching.filter((tag) => tag.pushed !== undefined && tag.pushed >= cutoff).map((tag) => tag.digest));
    }
    if (rule.pulledWithin !== undefined) {
      const cutoff = now - durationMilliseconds(rule.pulledWithin);
      add(matching.filter((tag) => tag.pulled !== undefined && tag.pulled >= cutoff).map((tag) => tag.digest));
    }
    if (rule.mostRecentlyPushed !== undefined) add(surelyAmongMostRecent(matching, rule.mostRecentlyPushed, (tag) => tag.pushed));
    if (rule.mostRecentlyPulled !== undefined) {
      add(pullRecordsSince === undefined ? matching.map((tag) => tag.digest) : surelyAmongMostRecent(matching, rule.mostRecentlyPulled, (tag) => tag.pulled));
    }
  }
  for (const tag of tags) if (!inScope.has(tag.name) || tag.pushed === undefined) kept.add(tag.digest);
  for (const digest of surelyAmongMostRecent(tags, rules.minTagsPerRepository, (tag) => tag.pushed)) kept.add(digest);
  return kept;
}

/**
 * The snapshot after the plan's requests ran against distribution: a manifest deleted by digest
 * goes with every tag on it; an untagged one (distribution 3.x) stays, without its tags, until
 * garbage collection (and a runner that still lists it, through a referrer, say, may find it).
 */
function applied(snapshot: RegistrySnapshot, evaluation: Evaluation, strategy: DeletionStrategy): RegistrySnapshot {
  const deleted = new Set<string>();
  const untagged = new Set<string>();
  for (const request of deletionRequests(planDeletions(evaluation), strategy)) {
    if (request.kind === 'deleteManifest') deleted.add(`${request.repository}@${request.digest}`);
    else untagged.add(`${request.repository}:${request.tag}`);
  }
  return {
    ...snapshot,
    repositories: snapshot.repositories.map((repository) => ({
      name: repository.name,
      tags: repository.tags.filter((tag) => !deleted.has(`${repository.name}@${tag.digest}`) && !untagged.has(`${repository.name}:${tag.name}`)),
      manifests: repository.manifests.filter((manifest) => !deleted.has(`${repository.name}@${manifest.digest}`)),
    })),
  };
}

function reordered(snapshot: RegistrySnapshot, inUse: InUseSet, seed: number): [RegistrySnapshot, InUseSet] {
  return [
    {
      ...snapshot,
      repositories: shuffled(snapshot.repositories, seed).map((repository, n) => ({
        name: repository.name,
        tags: shuffled(repository.tags, seed + n),
        manifests: shuffled(repository.manifests, seed - n).map((manifest) =>
          manifest.children === undefined ? manifest : { ...manifest, children: shuffled(manifest.children, seed * 3) },
        ),
      })),
    },
    { references: shuffled(inUse.references, seed + 7), unparseable: shuffled(inUse.unparseable, seed + 11) },
  ];
}

const cases = fc.record({ snapshot: registrySnapshot, rules: retentionRules, inUse: inUseSet });

describe('evaluate (properties)', () => {
  it('deletes nothing that a rule, the floor or the push-time check keeps', () => {
    fc.assert(
      fc.property(cases, ({ snapshot, rules, inUse }) => {
        const evaluation = evaluate(snapshot, rules, inUse, now);
        for (const repository of selected(snapshot, evaluation)) {
          const decisions = decisionsOf(evaluation, repository.name);
          for (const digest of keptByPolicy(repository, rules, snapshot.pullRecordsSince)) expect(decisions.get(digest)?.action).toBe('Keep');
        }
      }),
      runs,
    );
  });

  it('keeps every digest in use, by tag or by digest, when keepInUse is on', () => {
    fc.assert(
      fc.property(cases, ({ snapshot, rules, inUse }) => {
        const evaluation = evaluate(snapshot, { ...rules, keepInUse: true }, inUse, now);
        for (const repository of selected(snapshot, evaluation)) {
          const decisions = decisionsOf(evaluation, repository.name);
          for (const reference of inUse.references.filter((entry) => entry.repository === repository.name)) {
            const byTag = repository.tags.find((tag) => tag.name === reference.tag)?.digest;
            for (const digest of [byTag, reference.digest])
              if (digest !== undefined && decisions.has(digest)) expect(decisions.get(digest)!.action).toBe('Keep');
          }
        }
      }),
      runs,
    );
  });

  it('keeps the children of kept indexes and the referrers of kept subjects; tags share their manifest’s decision', () => {
    fc.assert(
      fc.property(cases, ({ snapshot, rules, inUse }) => {
        const evaluation = evaluate(snapshot, rules, inUse, now);
        for (const repository of evaluation.repositories) {
          const decisions = decisionsOf(evaluation, repository.name);
          for (const decision of repository.manifests) {
            const subjects = [
              ...decision.tags
                .map((tag) => fallbackTag.exec(tag)?.[1])
                .filter((hex) => hex !== undefined)
                .map((hex) => `sha256:${hex}`),
              ...(snapshot.repositories.find((r) => r.name === repository.name)!.manifests.find((m) => m.digest === decision.digest)?.subject ?? []),
            ];
            if (subjects.some((subject) => decisions.get(subject)?.action === 'Keep')) expect(decision.action).toBe('Keep');
            if (decision.action === 'Keep') for (const child of decision.children) expect(decisions.get(child)?.action).toBe('Keep');
          }
          for (const tag of repository.tags) expect(tag.action).toBe(decisions.get(tag.digest)!.action);
        }
      }),
      runs,
    );
  });

  it('gives every decision a reason for it', () => {
    fc.assert(
      fc.property(cases, ({ snapshot, rules, inUse }) => {
        for (const repository of evaluate(snapshot, rules, inUse, now).repositories) {
          for (const decision of repository.manifests) {
            const supporting = decision.reasons.filter((reason) => !isNote(reason) && keeps(reason) === (decision.action === 'Keep'));
            expect(supporting.length).toBeGreaterThan(0);
            expect(decision.reasons.length).toBe(supporting.length + decision.reasons.filter(isNote).length);
          }
        }
      }),
      runs,
    );
  });

  it('does not depend on the order in which anything was listed', () => {
    fc.assert(
      fc.property(cases, fc.integer(), ({ snapshot, rules, inUse }, seed) => {
        const [otherSnapshot, otherInUse] = reordered(snapshot, inUse, seed);
        expect(evaluate(otherSnapshot, rules, otherInUse, now)).toEqual(evaluate(snapshot, rules, inUse, now));
      }),
      runs,
    );
  });

  it('deletes nothing when more than maxDeletionsPerRun manifests would go, and plans exactly the deletions otherwise', () => {
    fc.assert(
      fc.property(cases, ({ snapshot, rules, inUse }) => {
        const evaluation = evaluate(snapshot, rules, inUse, now);
        const plan = planDeletions(evaluation);
        const deleting = evaluation.repositories.flatMap((repository) => repository.manifests.filter((decision) => decision.action === 'Delete'));
        expect(evaluation.outcome).toBe(deleting.length > rules.maxDeletionsPerRun ? 'Aborted' : 'Planned');
        expect(plan.manifests).toBe(evaluation.outcome === 'Aborted' ? 0 : deleting.length);
        expect(plan.repositories.flatMap((repository) => repository.deletions).length).toBe(plan.manifests);
      }),
      runs,
    );
  });

  it('orders deletions referrers before subjects and indexes before children', () => {
    fc.assert(
      fc.property(cases, ({ snapshot, rules, inUse }) => {
        const evaluation = evaluate(snapshot, { ...rules, maxDeletionsPerRun: 100000 }, inUse, now);
        for (const { repository, deletions } of planDeletions(evaluation).repositories) {
          const position = new Map(deletions.map((deletion, n) => [deletion.digest, n]));
          const decisions = decisionsOf(evaluation, repository);
          const successors = (digest: string) => [...decisions.get(digest)!.children, ...decisions.get(digest)!.subjects].filter((next) => position.has(next));
          const reaches = (from: string, to: string) => {
            const seen = new Set<string>();
            const pending = [from];
            for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
              if (current === to) return true;
              for (const next of successors(current)) if (!seen.has(next)) seen.add(next) && pending.push(next);
            }
            return false;
          };
          for (const deletion of deletions) {
            for (const later of successors(deletion.digest)) {
              // A fallback tag can attach an index's own child to it: only such a cycle may break the order.
              if (later !== deletion.digest && !reaches(later, deletion.digest)) expect(position.get(later)).toBeGreaterThan(position.get(deletion.digest)!);
            }
          }
        }
      }),
      runs,
    );
  });

  it('deletes nothing more when evaluated again after its deletions by digest', () => {
    fc.assert(
      fc.property(cases, ({ snapshot, rules, inUse }) => {
        const first = evaluate(snapshot, rules, inUse, now);
        fc.pre(first.outcome === 'Planned');
        const second = evaluate(applied(snapshot, first, 'byDigest'), rules, inUse, now);
        expect(second.counts.deleted).toBe(0);
      }),
      runs,
    );
  });

  it('after untagging by tag, deletes again only what the first run untagged, and only under untaggedManifests: Delete', () => {
    fc.assert(
      fc.property(cases, ({ snapshot, rules, inUse }) => {
        const first = evaluate(snapshot, rules, inUse, now);
        fc.pre(first.outcome === 'Planned');
        const second = evaluate(applied(snapshot, first, 'untagByTag'), rules, inUse, now);
        const firstDeleted = new Set(first.repositories.flatMap((r) => r.manifests.filter((m) => m.action === 'Delete').map((m) => `${r.name}@${m.digest}`)));
        const secondDeleted = second.repositories.flatMap((r) => r.manifests.filter((m) => m.action === 'Delete').map((m) => `${r.name}@${m.digest}`));
        if (rules.untaggedManifests === 'Keep') expect(secondDeleted).toEqual([]);
        for (const manifest of secondDeleted) expect(firstDeleted.has(manifest)).toBe(true);
      }),
      runs,
    );
  });
});
