import type { RetentionPolicySpec } from '../api/v1alpha1/retention-policy.ts';
import { addCounts, noCounts, type Evaluation, type RepositoryDecisions } from './decisions.ts';
import { repositoryMatcher, type NameMatcher } from './globs.ts';
import { evaluateRepository, type RepositoryPolicy } from './repository-evaluation.ts';
import { compileRules } from './rules.ts';
import type { InUseReference, InUseSet, RegistrySnapshot, RepositorySnapshot, UnparseableReference } from './snapshot.ts';

/** The parts of a RetentionPolicy's spec that decide; the rest (schedule, Job, dryRun) is the runner's. */
export type RetentionRules = Pick<
  RetentionPolicySpec,
  'repositories' | 'rules' | 'untaggedManifests' | 'keepInUse' | 'minTagsPerRepository' | 'maxDeletionsPerRun'
>;

/** Which repositories a policy applies to, so the runner reads no others. */
export function policySelects(policy: Pick<RetentionPolicySpec, 'repositories'>): NameMatcher {
  return repositoryMatcher(policy.repositories);
}

/**
 * Whether an unparseable reference may name `repository`: its name appears whole, after the
 * start, a `/` or a space, and before the end, a `:`, an `@` or a space. Generous on purpose: a
 * false match only keeps more.
 */
export function mayNameRepository(reference: string, repository: string): boolean {
  for (let at = reference.indexOf(repository); at >= 0; at = reference.indexOf(repository, at + 1)) {
    const before = reference[at - 1] ?? '/';
    const after = reference[at + repository.length] ?? ':';
    if ((before === '/' || /\s/.test(before)) && (after === ':' || after === '@' || /\s/.test(after))) return true;
  }
  return false;
}

function mergedRepositories(repositories: readonly RepositorySnapshot[], selects: NameMatcher): RepositorySnapshot[] {
  const byName = new Map<string, RepositorySnapshot>();
  for (const repository of repositories) {
    if (!selects(repository.name)) continue;
    const seen = byName.get(repository.name);
    byName.set(
      repository.name,
      seen === undefined
        ? repository
        : { name: repository.name, tags: [...seen.tags, ...repository.tags], manifests: [...seen.manifests, ...repository.manifests] },
    );
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * Decides every tag and manifest of the repositories the policy selects: Keep or Delete, with
 * every reason that applied. Keep wins. Pure: the same snapshot, policy, use and time give the
 * same decisions in the same order, however the inputs were listed.
 */
export function evaluate(snapshot: RegistrySnapshot, policy: RetentionRules, inUse: InUseSet, now: Date | number): Evaluation {
  const evaluatedAt = typeof now === 'number' ? now : now.getTime();
  const repositoryPolicy: RepositoryPolicy = {
    rules: compileRules(policy.rules),
    floor: policy.minTagsPerRepository,
    untaggedManifests: policy.untaggedManifests,
    keepInUse: policy.keepInUse,
  };
  const context = { now: evaluatedAt, pullRecordsSince: snapshot.pullRecordsSince };
  const references = new Map<string, InUseReference[]>();
  for (const reference of inUse.references) {
    const list = references.get(reference.repository);
    if (list === undefined) references.set(reference.repository, [reference]);
    else list.push(reference);
  }
  const unparseable = [...inUse.unparseable].sort((a, b) => (a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : a.usedBy < b.usedBy ? -1 : 1));

  const repositories: RepositoryDecisions[] = [];
  for (const repository of mergedRepositories(snapshot.repositories, policySelects(policy))) {
    const naming: UnparseableReference[] = unparseable.filter((reference) => mayNameRepository(reference.reference, repository.name));
    repositories.push(evaluateRepository(repository, repositoryPolicy, context, references.get(repository.name) ?? [], naming));
  }
  const counts = { ...repositories.reduce((sum, repository) => addCounts(sum, repository.counts), noCounts), repositories: repositories.length };
  const aborted = counts.deleted > policy.maxDeletionsPerRun;
  const message = aborted
    ? `would delete ${counts.deleted} manifests, more than maxDeletionsPerRun (${policy.maxDeletionsPerRun}): nothing is deleted`
    : `${counts.deleted} manifests (${counts.tagsDeleted} tags) to delete in ${repositories.filter((repository) => repository.counts.deleted > 0).length} of ${repositories.length} repositories`;
  return { evaluatedAt, outcome: aborted ? 'Aborted' : 'Planned', message, repositories, unparseableReferences: unparseable, counts };
}
