import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/retention/decisions.ts';
import { evaluate } from '../../../src/retention/evaluate.ts';
import { describeReason } from '../../../src/retention/reasons.ts';
import { nothingInUse, type RegistrySnapshot } from '../../../src/retention/snapshot.ts';
import { day, digest, image, now, policy, repository, tag } from './builders.ts';

/** `{ tag: 'Keep' | 'Delete' }` for every tag of the one repository. */
function tagActions(evaluation: Evaluation): Record<string, string> {
  return Object.fromEntries(evaluation.repositories[0]!.tags.map((decision) => [decision.name, decision.action]));
}

function reasonsOf(evaluation: Evaluation, tagName: string): string[] {
  return evaluation.repositories[0]!.tags.find((decision) => decision.name === tagName)!.reasons.map(describeReason);
}

const web = (tags: Parameters<typeof repository>[1], manifests: Parameters<typeof repository>[2]): RegistrySnapshot => ({
  repositories: [repository('apps/web', tags, manifests)],
});

describe('mostRecentlyPushed', () => {
  const snapshot = web(
    [tag('v1', 'one', 30), tag('v2', 'two', 20), tag('v3', 'three', 10), tag('v3.0', 'three', 10), tag('latest', 'three', 10), tag('v4', 'four', 1)],
    [image('one'), image('two'), image('three'), image('four')],
  );

  it('keeps the N most recently pushed distinct images, with every tag on them', () => {
    const evaluation = evaluate(snapshot, policy({ rules: [{ tags: ['v*'], mostRecentlyPushed: 2 }] }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ latest: 'Keep', v1: 'Delete', v2: 'Delete', v3: 'Keep', 'v3.0': 'Keep', v4: 'Keep' });
    expect(reasonsOf(evaluation, 'v4')).toEqual([
      'rule 0 (mostRecentlyPushed 2) keeps it: tag v4 is the most recently pushed image (pushed 2026-11-30T12:00:00Z)',
    ]);
    // v3 and v3.0 are one image, ranked once, through the smaller tag name.
    expect(reasonsOf(evaluation, 'latest')).toEqual([
      'rule 0 (mostRecentlyPushed 2) keeps it: tag v3 is the 2nd most recently pushed image (pushed 2026-11-21T12:00:00Z)',
      "tag latest matches no rule's tags, so the policy leaves it alone",
    ]);
    expect(reasonsOf(evaluation, 'v1')).toEqual([
      'rule 0 (mostRecentlyPushed 2) does not keep it: tag v1 is only the 4th most recently pushed image (pushed 2026-11-01T12:00:00Z)',
    ]);
  });

  it('breaks ties in push time by digest, whatever the listing order', () => {
    const tied = web([tag('b', 'bbb', 5), tag('a', 'aaa', 5)], [image('bbb'), image('aaa')]);
    const evaluation = evaluate(tied, policy({ rules: [{ mostRecentlyPushed: 1 }] }), nothingInUse, now);
    expect(digest('aaa') < digest('bbb')).toBe(true);
    expect(tagActions(evaluation)).toEqual({ a: 'Keep', b: 'Delete' });
  });

  it("uses the image's created time without a push record, and says so", () => {
    const created = web([tag('old', 'old'), tag('new', 'new')], [image('old', { created: now - 90 * day }), image('new', { created: now - day })]);
    const evaluation = evaluate(created, policy({ rules: [{ mostRecentlyPushed: 1 }] }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ new: 'Keep', old: 'Delete' });
    expect(reasonsOf(evaluation, 'old')).toEqual([
      'rule 0 (mostRecentlyPushed 1) does not keep it: tag old is only the 2nd most recently pushed image (pushed 2026-09-02T12:00:00Z)',
      "tag old: no push record; used the image's created time (2026-09-02T12:00:00Z)",
    ]);
  });

  it('keeps and flags a tag with neither a push record nor a created time', () => {
    const unknown = web([tag('mystery', 'mystery'), tag('v1', 'one', 1), tag('v2', 'two', 2)], [image('mystery'), image('one'), image('two')]);
    const evaluation = evaluate(unknown, policy({ rules: [{ mostRecentlyPushed: 1 }] }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ mystery: 'Keep', v1: 'Keep', v2: 'Delete' });
    expect(reasonsOf(evaluation, 'mystery')).toEqual(['tag mystery has no push record and its image no created time: kept and flagged']);
  });

  it('prefers the push record of the tag, then of the digest', () => {
    const records = web(
      [tag('retagged', 'img', 1), tag('other', 'other')],
      [image('img', { pushedAt: now - 50 * day }), image('other', { pushedAt: now - 2 * day, created: now - day })],
    );
    const evaluation = evaluate(records, policy({ rules: [{ pushedWithin: '36h' }] }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ other: 'Delete', retagged: 'Keep' });
    expect(reasonsOf(evaluation, 'other')).toEqual(['rule 0 (pushedWithin 36h) does not keep it: tag other was pushed 2026-11-29T12:00:00Z, not within 36h']);
  });
});

describe('pushedWithin and always', () => {
  const snapshot = web(
    [tag('release-1', 'r1', 400), tag('v1', 'one', 40), tag('v2', 'two', 3), tag('dev-a', 'dev', 1)],
    [image('r1'), image('one'), image('two'), image('dev')],
  );

  it('keeps what was pushed within the duration and every tag an always rule matches', () => {
    const evaluation = evaluate(
      snapshot,
      policy({
        rules: [
          { tags: ['v*', 'dev-?'], pushedWithin: '720h' },
          { tags: ['release-*'], always: true },
        ],
      }),
      nothingInUse,
      now,
    );
    expect(tagActions(evaluation)).toEqual({ 'dev-a': 'Keep', 'release-1': 'Keep', v1: 'Delete', v2: 'Keep' });
    expect(reasonsOf(evaluation, 'v2')).toEqual(['rule 0 (pushedWithin 720h) keeps it: tag v2 was pushed 2026-11-28T12:00:00Z, within 720h']);
    expect(reasonsOf(evaluation, 'release-1')).toEqual(['rule 1 (always) keeps it: tag release-1 matches']);
    expect(reasonsOf(evaluation, 'v1')).toEqual(['rule 0 (pushedWithin 720h) does not keep it: tag v1 was pushed 2026-10-22T12:00:00Z, not within 720h']);
  });

  it('matches * across dots and dashes and ? as exactly one character, as the CRD documents', () => {
    const names = web(
      [tag('v1.2.3-rc.1', 'a', 100), tag('_internal', 'b', 100), tag('v10', 'c', 100), tag('v1', 'd', 100), tag('V2', 'e', 100)],
      [image('a'), image('b'), image('c'), image('d'), image('e')],
    );
    const evaluation = evaluate(names, policy({ rules: [{ tags: ['v*-rc.?', 'v?', '_*'], always: true }, { pushedWithin: '1h' }] }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ V2: 'Delete', _internal: 'Keep', 'v1.2.3-rc.1': 'Keep', v1: 'Keep', v10: 'Delete' });
  });
});

describe('pulledWithin and mostRecentlyPulled', () => {
  const pulledAgo = (days: number) => ({ pulledAt: now - days * day });
  const snapshot = (pullRecordsSince: number | undefined): RegistrySnapshot => ({
    repositories: [
      repository(
        'apps/web',
        [tag('hot', 'hot', 100, pulledAgo(1)), tag('warm', 'warm', 100, pulledAgo(10)), tag('cold', 'cold', 100, pulledAgo(60)), tag('never', 'never', 50)],
        [image('hot'), image('warm'), image('cold'), image('never')],
      ),
    ],
    pullRecordsSince,
  });

  it('keeps what was pulled within the duration once the records cover it', () => {
    const evaluation = evaluate(snapshot(now - 365 * day), policy({ rules: [{ pulledWithin: '240h' }] }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ cold: 'Delete', hot: 'Keep', never: 'Delete', warm: 'Keep' });
    expect(reasonsOf(evaluation, 'cold')).toEqual([
      'rule 0 (pulledWithin 240h) does not keep it: tag cold was last pulled 2026-10-02T12:00:00Z, not within 240h',
    ]);
    expect(reasonsOf(evaluation, 'never')).toEqual(['rule 0 (pulledWithin 240h) does not keep it: tag never was not pulled within 240h']);
  });

  it('keeps what it cannot judge when the pull records start within the window, or do not exist', () => {
    const young = evaluate(snapshot(now - 5 * day), policy({ rules: [{ pulledWithin: '240h' }] }), nothingInUse, now);
    expect(tagActions(young)).toEqual({ cold: 'Keep', hot: 'Keep', never: 'Keep', warm: 'Keep' });
    expect(reasonsOf(young, 'never')).toEqual([
      'rule 0 (pulledWithin 240h) cannot judge tag never: pull records only go back to 2026-11-26T12:00:00Z, so it is kept',
    ]);
    const none = evaluate(snapshot(undefined), policy({ rules: [{ mostRecentlyPulled: 1 }] }), nothingInUse, now);
    expect(tagActions(none)).toEqual({ cold: 'Keep', hot: 'Keep', never: 'Keep', warm: 'Keep' });
    expect(reasonsOf(none, 'cold')[0]).toBe('rule 0 (mostRecentlyPulled 1) cannot judge tag cold: no pull records are kept for this registry, so it is kept');
  });

  it('ranks by last pull, never-pulled images after every pulled one by push time', () => {
    const evaluation = evaluate(snapshot(now - 365 * day), policy({ rules: [{ mostRecentlyPulled: 2 }] }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ cold: 'Delete', hot: 'Keep', never: 'Delete', warm: 'Keep' });
    expect(reasonsOf(evaluation, 'warm')).toEqual([
      'rule 0 (mostRecentlyPulled 2) keeps it: tag warm is the 2nd most recently pulled image (pulled 2026-11-21T12:00:00Z)',
    ]);
    expect(reasonsOf(evaluation, 'never')).toEqual([
      'rule 0 (mostRecentlyPulled 2) does not keep it: tag never was never pulled; ranked 4th by push time after every pulled image',
    ]);
  });
});

describe('keep wins', () => {
  it('lists every rule that keeps an image, and only the reasons for the decision', () => {
    const snapshot = web([tag('v1', 'one', 1), tag('v0', 'zero', 2)], [image('one'), image('zero')]);
    const evaluation = evaluate(snapshot, policy({ rules: [{ tags: ['v*'], always: true }, { mostRecentlyPushed: 1 }] }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ v0: 'Keep', v1: 'Keep' });
    expect(reasonsOf(evaluation, 'v1')).toEqual([
      'rule 0 (always) keeps it: tag v1 matches',
      'rule 1 (mostRecentlyPushed 1) keeps it: tag v1 is the most recently pushed image (pushed 2026-11-30T12:00:00Z)',
    ]);
    expect(reasonsOf(evaluation, 'v0')).toEqual(['rule 0 (always) keeps it: tag v0 matches']);
  });
});

describe('the floor', () => {
  it('keeps the N most recently pushed images of each repository whatever the rules say, counted as protected', () => {
    const snapshot = web([tag('a', 'a', 1), tag('b', 'b', 2), tag('b2', 'b', 3), tag('c', 'c', 3)], [image('a'), image('b'), image('c')]);
    const evaluation = evaluate(snapshot, policy({ rules: [{ pushedWithin: '1h' }], minTagsPerRepository: 2 }), nothingInUse, now);
    expect(tagActions(evaluation)).toEqual({ a: 'Keep', b: 'Keep', b2: 'Keep', c: 'Delete' });
    expect(reasonsOf(evaluation, 'b2')).toEqual(['floor (minTagsPerRepository 2): tag b is the 2nd most recently pushed image of the repository']);
    expect(evaluation.counts).toMatchObject({ evaluated: 4, kept: 3, deleted: 1, tagsDeleted: 1, protected: 2, deletedBytes: 1000 });
  });
});

describe('repository selection', () => {
  it('applies to the repositories the globs select: * within a component, ** across them', () => {
    const snapshot: RegistrySnapshot = {
      repositories: ['apps', 'apps/web', 'apps/team/api', 'tools/ci'].map((name) => repository(name, [tag('v1', 'one', 100)], [image('one')])),
    };
    const names = (globs: string[]) =>
      evaluate(snapshot, policy({ repositories: globs, rules: [{ always: true }] }), nothingInUse, now).repositories.map((r) => r.name);
    expect(names(['apps/*'])).toEqual(['apps/web']);
    expect(names(['apps/**'])).toEqual(['apps', 'apps/team/api', 'apps/web']);
    expect(names(['*/ci', 'apps/t?am/*'])).toEqual(['apps/team/api', 'tools/ci']);
  });
});

describe('the circuit breaker', () => {
  it('aborts with the reason when the plan would delete more manifests than maxDeletionsPerRun', () => {
    const snapshot = web([tag('a', 'a', 100), tag('b', 'b', 100), tag('c', 'c', 100)], [image('a'), image('b'), image('c')]);
    const rules = [{ pushedWithin: '1h' }];
    expect(evaluate(snapshot, policy({ rules, maxDeletionsPerRun: 3 }), nothingInUse, now)).toMatchObject({
      outcome: 'Planned',
      message: '3 manifests (3 tags) to delete in 1 of 1 repositories',
    });
    expect(evaluate(snapshot, policy({ rules, maxDeletionsPerRun: 2 }), nothingInUse, now)).toMatchObject({
      outcome: 'Aborted',
      message: 'would delete 3 manifests, more than maxDeletionsPerRun (2): nothing is deleted',
    });
  });
});
