import fc from 'fast-check';
import type { RetentionRules } from '../../../src/retention/evaluate.ts';
import type { InUseReference, InUseSet, ManifestSnapshot, RegistrySnapshot, RepositorySnapshot, TagSnapshot } from '../../../src/retention/snapshot.ts';
import { day, digest, imageType, indexType, now, policy, signatureTag } from './builders.ts';

// Random registries small enough that rules, aliases, indexes, referrers and use collide often.

export const manifestNames = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
/** A subject that is never listed: referrers to it are untagged unless it is in use. */
export const ghost = 'ghost';
export const tagNames = ['v1', 'v2', 'v3', 'v10', 'latest', 'release-1', 'release-2', 'dev-a', '_x'];
export const tagGlobs = ['v*', 'v?', 'release-*', 'latest', '*', 'dev-?', '_*', 'nothing'];
export const durations = ['1h', '48h', '720h', '2400h'];
const repositoryNames = ['apps/web', 'apps/api', 'tools/ci'];

const time = fc.option(
  fc.integer({ min: 0, max: 200 }).map((days) => now - days * day),
  { nil: undefined },
);

/**
 * A manifest can only name digests that existed before it (content addressing): indexes list,
 * and referrers refer to, manifests earlier in `manifestNames`.
 */
const manifest = (name: string): fc.Arbitrary<ManifestSnapshot> => {
  const earlier = manifestNames.slice(0, manifestNames.indexOf(name));
  return fc
    .record({
      kind: earlier.length === 0 ? fc.constant('image') : fc.constantFrom('image', 'image', 'index', 'referrer'),
      children: earlier.length === 0 ? fc.constant<string[]>([]) : fc.subarray(earlier, { minLength: 1 }),
      subject: fc.constantFrom(...earlier, ghost),
      size: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
      created: time,
      pushedAt: time,
      pulledAt: time,
    })
    .map(({ kind, children, subject, size, created, pushedAt, pulledAt }) => ({
      digest: digest(name),
      mediaType: kind === 'index' ? indexType : imageType,
      size,
      created,
      pushedAt,
      pulledAt,
      ...(kind === 'index' ? { children: children.map(digest) } : {}),
      ...(kind === 'referrer' ? { subject: digest(subject) } : {}),
    }));
};

const repositorySnapshot = (name: string): fc.Arbitrary<RepositorySnapshot> =>
  fc
    .record({
      listed: fc.subarray(manifestNames, { minLength: 1 }),
      tags: fc.uniqueArray(
        fc.record({
          name: fc.constantFrom(...tagNames, ...[...manifestNames, ghost].map(signatureTag)),
          target: fc.constantFrom(...manifestNames),
          pushedAt: time,
          pulledAt: time,
        }),
        { selector: (entry) => entry.name, maxLength: 10 },
      ),
    })
    .chain(({ listed, tags }) =>
      fc.tuple(...listed.map(manifest)).map((manifests) => ({
        name,
        manifests,
        tags: tags
          .filter((entry) => listed.includes(entry.target))
          .map(({ name: tagName, target, pushedAt, pulledAt }): TagSnapshot => ({ name: tagName, digest: digest(target), pushedAt, pulledAt })),
      })),
    );

export const registrySnapshot: fc.Arbitrary<RegistrySnapshot> = fc.record({
  repositories: fc.subarray(repositoryNames, { minLength: 1 }).chain((names) => fc.tuple(...names.map(repositorySnapshot))),
  pullRecordsSince: fc.option(
    fc.integer({ min: 0, max: 400 }).map((days) => now - days * day),
    { nil: undefined },
  ),
});

const rule = fc.record({
  tags: fc.option(fc.subarray(tagGlobs, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  criterion: fc.constantFrom('mostRecentlyPushed', 'mostRecentlyPulled', 'pushedWithin', 'pulledWithin', 'always'),
  count: fc.integer({ min: 1, max: 3 }),
  duration: fc.constantFrom(...durations),
});

export const retentionRules: fc.Arbitrary<RetentionRules> = fc
  .record({
    rules: fc.array(rule, { minLength: 1, maxLength: 3 }),
    repositories: fc.constantFrom(['**'], ['apps/*'], ['apps/web', 'tools/*']),
    untaggedManifests: fc.constantFrom('Keep', 'Delete'),
    keepInUse: fc.boolean(),
    minTagsPerRepository: fc.integer({ min: 0, max: 3 }),
    maxDeletionsPerRun: fc.integer({ min: 1, max: 25 }),
  })
  .map(({ rules, ...rest }) =>
    policy({
      ...rest,
      rules: rules.map(({ tags, criterion, count, duration }) => ({
        ...(tags === undefined ? {} : { tags }),
        [criterion]: criterion === 'always' ? true : criterion.endsWith('Within') ? duration : count,
      })),
    }),
  );

const reference: fc.Arbitrary<InUseReference> = fc.record({
  repository: fc.constantFrom(...repositoryNames),
  tag: fc.option(fc.constantFrom(...tagNames), { nil: undefined }),
  digest: fc.option(fc.constantFrom(...manifestNames, ghost).map(digest), { nil: undefined }),
  usedBy: fc.constantFrom('Pod team-a/web-1', 'Deployment team-a/web', 'CronJob team-b/report'),
});

export const inUseSet: fc.Arbitrary<InUseSet> = fc.record({
  references: fc.array(reference, { maxLength: 4 }),
  unparseable: fc.array(
    fc.record({ reference: fc.constantFrom('apps/api:v1 (broken)', 'not a reference', 'tools/ci@@'), usedBy: fc.constant('Pod team-a/odd') }),
    { maxLength: 1 },
  ),
});

/** A deterministic shuffle, so a failing case replays from fast-check's seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed >>> 0 || 1;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
