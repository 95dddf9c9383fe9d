import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { deletionRequests, planDeletions } from '../../../src/retention/deletion-plan.ts';
import { evaluate } from '../../../src/retention/evaluate.ts';
import { renderPlanTable } from '../../../src/retention/plan-table.ts';
import { reasonKinds } from '../../../src/retention/reasons.ts';
import { reportFormat, retentionReport } from '../../../src/retention/report.ts';
import type { InUseSet, RegistrySnapshot } from '../../../src/retention/snapshot.ts';
import { day, digest, image, index, now, policy, repository, signatureTag, tag } from './builders.ts';

const snapshot: RegistrySnapshot = {
  repositories: [
    repository(
      'apps/web',
      [tag('v3', 'three', 1), tag('latest', 'three', 1), tag('v2', 'index-2', 5), tag('v1', 'one', 40), tag(signatureTag('index-2'), 'sig-2')],
      [
        image('three', { size: 3 * 1024 * 1024 }),
        index('index-2', ['amd64-2', 'arm64-2'], { size: 2048 }),
        image('amd64-2', { size: 5 * 1024 * 1024 }),
        image('arm64-2', { size: undefined }),
        image('one', { size: 4096 }),
        image('sig-2', { size: 700 }),
        image('sbom-2', { subject: digest('index-2'), size: 900 }),
      ],
    ),
    repository('tools/ci', [tag('main', 'ci')], [image('ci', { created: now - 3 * day, size: undefined })]),
  ],
};
const inUse: InUseSet = { references: [{ repository: 'apps/web', tag: 'v1', usedBy: 'Pod team-a/legacy' }], unparseable: [] };
const rules = policy({
  rules: [
    { tags: ['v*'], mostRecentlyPushed: 1 },
    { tags: ['main'], always: true },
  ],
});

describe('the deletion plan', () => {
  const evaluation = evaluate(snapshot, rules, inUse, now);
  const plan = planDeletions(evaluation);

  it('deletes referrers before their subject and an index before its children', () => {
    expect(plan.repositories.map((r) => [r.repository, r.deletions.map((d) => d.digest)])).toEqual([
      ['apps/web', [digest('sbom-2'), digest('sig-2'), digest('index-2'), digest('amd64-2'), digest('arm64-2')]],
    ]);
    expect([plan.manifests, plan.tags]).toEqual([5, 2]);
  });

  it('maps to DELETE by digest (distribution 2.8) or to untagging by tag (3.x)', () => {
    const repository = 'apps/web';
    expect(deletionRequests(plan, 'byDigest').map((request) => request.kind)).toEqual(Array(5).fill('deleteManifest'));
    expect(deletionRequests(plan, 'untagByTag')).toEqual([
      { kind: 'deleteManifest', repository, digest: digest('sbom-2') },
      { kind: 'untag', repository, tag: signatureTag('index-2'), digest: digest('sig-2') },
      { kind: 'untag', repository, tag: 'v2', digest: digest('index-2') },
      { kind: 'deleteManifest', repository, digest: digest('amd64-2') },
      { kind: 'deleteManifest', repository, digest: digest('arm64-2') },
    ]);
  });

  it('is empty when the circuit breaker tripped', () => {
    const aborted = evaluate(snapshot, { ...rules, maxDeletionsPerRun: 4 }, inUse, now);
    expect(aborted.outcome).toBe('Aborted');
    expect(planDeletions(aborted)).toEqual({ repositories: [], manifests: 0, tags: 0 });
  });
});

describe('the report', () => {
  it('is JSON with every manifest, its tags, decision and structured reasons, times in RFC 3339', () => {
    const report = retentionReport(evaluate(snapshot, rules, inUse, now));
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(report).toMatchObject({ format: reportFormat, evaluatedAt: '2026-12-01T12:00:00Z', outcome: 'Planned' });
    const web = report.repositories[0]!;
    expect(web.manifests.find((manifest) => manifest.digest === digest('one'))).toEqual({
      digest: digest('one'),
      action: 'Keep',
      tags: ['v1'],
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 4096,
      pushedAt: '2026-10-22T12:00:00Z',
      protected: true,
      reasons: [{ kind: 'inUse', by: 'tag', reference: 'v1', usedBy: ['Pod team-a/legacy'], moreUsers: 0 }],
    });
    expect(report.repositories[1]!.manifests[0]!.reasons).toEqual([
      { kind: 'keptByRule', rule: 1, criterion: 'always', tag: 'main' },
      { kind: 'createdAsPushTime', tag: 'main', created: '2026-11-28T12:00:00Z' },
    ]);
  });
});

describe('the plan table', () => {
  it('shows each repository newest first, with tags, action, size and every reason', () => {
    const webHeader =
      '  ACTION  TAGS                                                                         DIGEST               PUSHED                SIZE     WHY';
    const ciHeader = '  ACTION  TAGS  DIGEST               PUSHED                SIZE  WHY';
    /** A further reason of the row above, aligned under WHY. */
    const more = (header: string, reason: string) => `${' '.repeat(header.indexOf('WHY'))}${reason}`;
    expect(renderPlanTable(evaluate(snapshot, rules, inUse, now))).toBe(
      [
        'apps/web: 5 to delete (2 tags, 5.0 MiB at most (some sizes unknown)), 3 of 5 kept, 1 protected',
        webHeader,
        '  Keep    latest, v3                                                                   sha256:746872656500  2026-11-30T12:00:00Z  3.0 MiB  rule 0 (mostRecentlyPushed 1) keeps it: tag v3 is the most recently pushed image (pushed 2026-11-30T12:00:00Z)',
        more(webHeader, "tag latest matches no rule's tags, so the policy leaves it alone"),
        '  Delete  v2                                                                           sha256:696e6465782d  2026-11-26T12:00:00Z  2.0 KiB  rule 0 (mostRecentlyPushed 1) does not keep it: tag v2 is only the 2nd most recently pushed image (pushed 2026-11-26T12:00:00Z)',
        '  Keep*   v1                                                                           sha256:6f6e65000000  2026-10-22T12:00:00Z  4.0 KiB  in use by Pod team-a/legacy (by tag v1)',
        '  Delete  -                                                                            sha256:616d6436342d  -                     5.0 MiB  child of the deleted index sha256:696e6465782d',
        '  Delete  -                                                                            sha256:61726d36342d  -                     -        child of the deleted index sha256:696e6465782d',
        '  Delete  -                                                                            sha256:73626f6d2d32  -                     900 B    referrer of the deleted sha256:696e6465782d',
        `  Delete  ${signatureTag('index-2')}  sha256:7369672d3200  -                     700 B    referrer of the deleted sha256:696e6465782d through tag ${signatureTag('index-2')}`,
        '',
        'tools/ci: 0 to delete (0 tags), 1 of 1 kept',
        ciHeader,
        '  Keep    main  sha256:636900000000  2026-11-28T12:00:00Z  -     rule 1 (always) keeps it: tag main matches',
        more(ciHeader, "tag main: no push record; used the image's created time (2026-11-28T12:00:00Z)"),
        '',
        'Keep* = kept only because it is in use or under the floor (protected).',
        'Total: 5 manifests (2 tags, 5.0 MiB at most) to delete in 2 repositories; 4 of 6 tags and untagged manifests kept, 1 protected.',
        '',
      ].join('\n'),
    );
  });

  it('can show deletions only, and says when the run was aborted and why', () => {
    const text = renderPlanTable(evaluate(snapshot, { ...rules, maxDeletionsPerRun: 4 }, inUse, now), { deletionsOnly: true, tagsPerRow: 1 });
    expect(text).not.toContain('Keep');
    expect(text.trimEnd().split('\n').at(-1)).toBe('Aborted: would delete 5 manifests, more than maxDeletionsPerRun (4): nothing is deleted.');
  });
});

describe('docs/retention.md', () => {
  it('describes every kind of reason a decision can carry', async () => {
    const docs = await readFile(new URL('../../../docs/retention.md', import.meta.url), 'utf8');
    expect(reasonKinds.filter((kind) => !docs.includes(`| \`${kind}\` |`))).toEqual([]);
  });
});
