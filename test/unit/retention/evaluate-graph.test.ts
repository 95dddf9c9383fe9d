import { describe, expect, it } from 'vitest';
import type { Evaluation, ManifestDecision } from '../../../src/retention/decisions.ts';
import { evaluate, mayNameRepository } from '../../../src/retention/evaluate.ts';
import { describeReason } from '../../../src/retention/reasons.ts';
import { nothingInUse, type InUseSet, type RegistrySnapshot } from '../../../src/retention/snapshot.ts';
import { digest, image, index, now, policy, repository, signatureTag, tag } from './builders.ts';

function manifest(evaluation: Evaluation, name: string): ManifestDecision {
  return evaluation.repositories[0]!.manifests.find((decision) => decision.digest === digest(name))!;
}

function decided(evaluation: Evaluation, name: string): [string, string[]] {
  const decision = manifest(evaluation, name);
  return [decision.action, decision.reasons.map(describeReason)];
}

const keepRecent = policy({ rules: [{ tags: ['v*'], mostRecentlyPushed: 1 }] });

describe('multi-arch indexes', () => {
  const snapshot: RegistrySnapshot = {
    repositories: [
      repository(
        'apps/web',
        [tag('v2', 'index-2', 1), tag('v1', 'index-1', 10), tag('v1-amd64', 'amd64-1', 10)],
        [
          index('index-2', ['amd64-2', 'arm64-2']),
          index('index-1', ['amd64-1', 'arm64-1']),
          image('amd64-2'),
          image('arm64-2'),
          image('amd64-1'),
          image('arm64-1'),
        ],
      ),
    ],
  };

  it('keeps the children of a kept index and deletes those of a deleted one', () => {
    const evaluation = evaluate(snapshot, policy({ rules: [{ tags: ['v?'], mostRecentlyPushed: 1 }] }), nothingInUse, now);
    expect(decided(evaluation, 'arm64-2')).toEqual(['Keep', ['child of the kept index sha256:696e6465782d']]);
    expect(decided(evaluation, 'arm64-1')).toEqual(['Delete', ['child of the deleted index sha256:696e6465782d']]);
    // A tag of its own outside every rule keeps a child even when its index goes.
    expect(decided(evaluation, 'amd64-1')).toEqual(['Keep', ["tag v1-amd64 matches no rule's tags, so the policy leaves it alone"]]);
    expect(decided(evaluation, 'index-1')[0]).toBe('Delete');
  });

  it('counts tags and untagged manifests as evaluated, and deleted manifests with their bytes', () => {
    const evaluation = evaluate(snapshot, policy({ rules: [{ tags: ['v?'], mostRecentlyPushed: 1 }] }), nothingInUse, now);
    expect(evaluation.counts).toEqual({
      repositories: 1,
      evaluated: 3,
      kept: 2,
      deleted: 2,
      tagsDeleted: 1,
      protected: 0,
      deletedBytes: 1500,
      deletedWithoutSize: 0,
    });
  });

  it('decides a manifest a tag or index names even when the runner could not read it', () => {
    const partial: RegistrySnapshot = {
      repositories: [repository('apps/web', [tag('v1', 'lost-index', 10), tag('v2', 'two', 1)], [index('lost-index', ['gone'])])],
    };
    const evaluation = evaluate(partial, keepRecent, nothingInUse, now);
    expect(evaluation.repositories[0]!.manifests.map((decision) => [decision.digest, decision.mediaType, decision.action])).toEqual([
      [digest('gone'), '', 'Delete'],
      [digest('lost-index'), 'application/vnd.oci.image.index.v1+json', 'Delete'],
      [digest('two'), '', 'Keep'],
    ]);
  });
});

describe('referrers', () => {
  const snapshot: RegistrySnapshot = {
    repositories: [
      repository(
        'apps/web',
        [
          tag('v2', 'two', 1),
          tag('v1', 'one', 10),
          tag(signatureTag('two'), 'sig-two'),
          tag(signatureTag('one'), 'sig-one'),
          tag(signatureTag('absent'), 'sig-absent'),
        ],
        [
          image('two'),
          image('one'),
          image('sig-two'),
          image('sig-one'),
          image('sig-absent'),
          image('sbom-one', { subject: digest('one') }),
          image('sbom-two', { subject: digest('two') }),
          image('attestation-of-sbom-two', { subject: digest('sbom-two') }),
        ],
      ),
    ],
  };

  it('go with their subject, through a subject field or a fallback tag, at any depth', () => {
    const evaluation = evaluate(snapshot, keepRecent, nothingInUse, now);
    expect(decided(evaluation, 'sig-two')).toEqual([
      'Keep',
      ['referrer of the kept sha256:74776f000000 through tag sha256-74776f0000000000000000000000000000000000000000000000000000000000.sig'],
    ]);
    expect(decided(evaluation, 'attestation-of-sbom-two')).toEqual(['Keep', ['referrer of the kept sha256:73626f6d2d74']]);
    expect(decided(evaluation, 'sbom-one')).toEqual(['Delete', ['referrer of the deleted sha256:6f6e65000000']]);
    expect(decided(evaluation, 'sig-one')[0]).toBe('Delete');
  });

  it('are untagged when their subject is not in the repository, and follow untaggedManifests', () => {
    expect(decided(evaluate(snapshot, keepRecent, nothingInUse, now), 'sig-absent')).toEqual([
      'Keep',
      ['referrer of sha256:616273656e74, which is not in the repository; untaggedManifests: Keep'],
    ]);
    const deleting = policy({ rules: [{ tags: ['v*'], mostRecentlyPushed: 1 }], untaggedManifests: 'Delete' });
    expect(decided(evaluate(snapshot, deleting, nothingInUse, now), 'sig-absent')[0]).toBe('Delete');
  });

  it('fallback tags are never ranked by the rules', () => {
    const evaluation = evaluate(snapshot, policy({ rules: [{ mostRecentlyPushed: 1 }] }), nothingInUse, now);
    const sigTags = evaluation.repositories[0]!.tags.filter((decision) => decision.name.startsWith('sha256-'));
    expect(sigTags.map((decision) => decision.reasons.map((reason) => reason.kind))).toEqual([['untagged'], ['subjectDeleted'], ['referrerOf']]);
  });

  it('the OCI referrers tag schema keeps the referrers its index lists', () => {
    const schema: RegistrySnapshot = {
      repositories: [
        repository(
          'apps/web',
          [tag('v1', 'one', 1), tag(digest('one').replace(':', '-'), 'referrers-index')],
          [image('one'), index('referrers-index', ['cosign-sig']), image('cosign-sig')],
        ),
      ],
    };
    const evaluation = evaluate(schema, keepRecent, nothingInUse, now);
    expect(decided(evaluation, 'referrers-index')[1]).toEqual([
      'referrer of the kept sha256:6f6e65000000 through tag sha256-6f6e650000000000000000000000000000000000000000000000000000000000',
    ]);
    expect(decided(evaluation, 'cosign-sig')).toEqual(['Keep', ['child of the kept index sha256:726566657272']]);
  });
});

describe('untagged manifests', () => {
  const snapshot: RegistrySnapshot = {
    repositories: [
      repository('apps/web', [tag('v1', 'one', 1)], [image('one'), image('orphan'), index('orphan-index', ['orphan-child']), image('orphan-child')]),
    ],
  };

  it('stay under Keep and go under Delete, an orphan index with its children', () => {
    expect(decided(evaluate(snapshot, keepRecent, nothingInUse, now), 'orphan')).toEqual(['Keep', ['untagged; untaggedManifests: Keep']]);
    const evaluation = evaluate(snapshot, policy({ rules: [{ always: true }], untaggedManifests: 'Delete' }), nothingInUse, now);
    expect(decided(evaluation, 'orphan')).toEqual(['Delete', ['untagged; untaggedManifests: Delete']]);
    expect(decided(evaluation, 'orphan-child')).toEqual(['Delete', ['untagged; untaggedManifests: Delete', 'child of the deleted index sha256:6f727068616e']]);
    expect(evaluation.counts).toMatchObject({ evaluated: 4, kept: 1, deleted: 3 });
  });
});

describe('in use', () => {
  const snapshot: RegistrySnapshot = {
    repositories: [
      repository(
        'apps/web',
        [tag('v3', 'three', 1), tag('v2', 'two', 2), tag('v1', 'one', 3), tag('v0', 'index-0', 4), tag(signatureTag('pinned'), 'sig-pinned')],
        [image('three'), image('two'), image('one'), index('index-0', ['amd64-0']), image('amd64-0'), image('sig-pinned')],
      ),
      repository('apps/api', [tag('v1', 'api-1', 3), tag('v2', 'api-2', 1)], [image('api-1'), image('api-2')]),
    ],
  };
  const inUse: InUseSet = {
    references: [
      { repository: 'apps/web', tag: 'v2', usedBy: 'Deployment team-a/web' },
      { repository: 'apps/web', tag: 'v2', usedBy: 'Pod team-a/web-1' },
      { repository: 'apps/web', digest: digest('amd64-0'), usedBy: 'Pod team-a/old' },
      { repository: 'apps/web', digest: digest('pinned'), usedBy: 'CronJob team-b/report' },
      { repository: 'apps/other', tag: 'v1', usedBy: 'Pod team-a/x' },
    ],
    unparseable: [{ reference: 'registry.team-a.svc:5000/apps/api:v1 # a comment', usedBy: 'Pod team-a/odd' }],
  };
  const rules = [{ tags: ['v*'], mostRecentlyPushed: 1 }];

  it('keeps what Pods and templates use by tag or by digest, counted as protected', () => {
    const evaluation = evaluate(snapshot, policy({ rules }), inUse, now);
    const web = evaluation.repositories.find((r) => r.name === 'apps/web')!;
    const of = (name: string) => web.manifests.find((decision) => decision.digest === digest(name))!;
    expect([of('two').action, of('two').reasons.map(describeReason), of('two').protected]).toEqual([
      'Keep',
      ['in use by Deployment team-a/web, Pod team-a/web-1 (by tag v2)'],
      true,
    ]);
    expect(of('amd64-0').reasons.map(describeReason)).toEqual(['in use by Pod team-a/old (by digest sha256:616d6436342d)']);
    // The index of an image in use by its platform digest is not in use itself.
    expect(of('index-0').action).toBe('Delete');
    // A digest in use keeps its referrers even when the runner did not list the manifest itself.
    expect(of('sig-pinned').reasons.map(describeReason)).toEqual([
      'referrer of the kept sha256:70696e6e6564 through tag sha256-70696e6e65640000000000000000000000000000000000000000000000000000.sig',
      'referrer of sha256:70696e6e6564, which is not in the repository; untaggedManifests: Keep',
    ]);
    expect(of('one').action).toBe('Delete');
    expect(web.counts.protected).toBe(2);
  });

  it('keeps every manifest of a repository that an unparseable reference may name, and lists the reference', () => {
    const evaluation = evaluate(snapshot, policy({ rules }), inUse, now);
    const api = evaluation.repositories.find((r) => r.name === 'apps/api')!;
    expect(api.manifests.map((decision) => decision.action)).toEqual(['Keep', 'Keep']);
    expect(api.manifests[0]!.reasons.map(describeReason)).toEqual([
      'in use by Pod team-a/odd through the unparseable reference "registry.team-a.svc:5000/apps/api:v1 # a comment", which may name this repository',
    ]);
    expect(evaluation.unparseableReferences).toEqual(inUse.unparseable);
  });

  it('names five users and counts the rest', () => {
    const many: InUseSet = {
      references: Array.from({ length: 8 }, (_, n) => ({ repository: 'apps/web', tag: 'v1', usedBy: `Pod team-a/web-${n}` })),
      unparseable: [],
    };
    const evaluation = evaluate(snapshot, policy({ rules }), many, now);
    expect(describeReason(evaluation.repositories[1]!.manifests.find((d) => d.digest === digest('one'))!.reasons[0]!)).toBe(
      'in use by Pod team-a/web-0, Pod team-a/web-1, Pod team-a/web-2, Pod team-a/web-3, Pod team-a/web-4 and 3 more (by tag v1)',
    );
  });

  it('protects nothing with keepInUse: false', () => {
    const evaluation = evaluate(snapshot, policy({ rules, keepInUse: false }), inUse, now);
    expect(evaluation.counts.protected).toBe(0);
    expect(evaluation.repositories.flatMap((r) => r.tags.filter((t) => t.action === 'Keep').map((t) => `${r.name}:${t.name}`))).toEqual([
      'apps/api:v2',
      // Its subject is neither listed nor in use any more: an untagged referrer, kept by untaggedManifests: Keep.
      `apps/web:${signatureTag('pinned')}`,
      'apps/web:v3',
    ]);
  });
});

describe('mayNameRepository', () => {
  it('finds a repository named whole in a reference it cannot parse, and nothing longer or shorter', () => {
    expect(mayNameRepository('registry:5000/apps/api:v1 extra', 'apps/api')).toBe(true);
    expect(mayNameRepository('apps/api@sha256:broken', 'apps/api')).toBe(true);
    expect(mayNameRepository('apps/api', 'apps/api')).toBe(true);
    expect(mayNameRepository('apps/api  ', 'apps/api')).toBe(true);
    expect(mayNameRepository('registry:5000/apps/api2:v1', 'apps/api')).toBe(false);
    expect(mayNameRepository('registry:5000/apps/api/worker:v1', 'apps/api')).toBe(false);
    expect(mayNameRepository('registry:5000/myapps/api:v1', 'apps/api')).toBe(false);
    expect(mayNameRepository('registry:5000/myapps/api:v1 apps/api:v2', 'apps/api')).toBe(true);
  });
});
