import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RetentionPolicySpec } from '../../../src/api/v1alpha1/retention-policy.ts';
import { RegistryClient } from '../../../src/oci/client.ts';
import type { RetentionReport } from '../../../src/retention/report.ts';
import { runRetention } from '../../../src/retention/runner/run.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import { adminKubeConfig, createTestNamespace } from '../../support/kube.ts';
import { createImageUsers } from '../../support/workloads.ts';
import { buildImage, buildIndex, buildReferrer, type BuiltManifest } from '../../registry/images.ts';
import { debianRegistryAvailable, LocalRegistry, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';

const hour = 3_600_000;
const day = 24 * hour;
const versions = 37;
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];
const signature = 'application/vnd.dev.cosign.artifact.sig.v1+json';

// Issue 12's acceptance scenario: three repositories of 40 tags at known build times, a
// multi-arch index, signatures, tags sharing a digest, and workloads using some tags by tag and
// some by digest; a policy mixing mostRecentlyPushed, always and pushedWithin.
describe.skipIf(inject('externalCluster')).each(flavors)('retention acceptance (%s)', (flavor) => {
  let registry: LocalRegistry;
  let namespace: string;
  let removeNamespace: () => Promise<void>;
  const now = Date.now();
  const digests = new Map<string, string>();
  const policy = RetentionPolicySpec.parse({
    registryRef: { name: 'main' },
    repositories: ['apps/*'],
    schedule: '0 3 * * *',
    rules: [
      { tags: ['v*'], mostRecentlyPushed: 3 },
      { tags: ['release-*', 'latest'], always: true },
      { tags: ['v*'], pushedWithin: '228h' },
    ],
    minTagsPerRepository: 1,
  });
  /** v28..v37 were built within 228 h (9.5 days); v27 and older were not. */
  const recent = Array.from({ length: 10 }, (_, index) => `v${versions - index}`);

  const fill = async (repository: string, pusher: RegistryPusher) => {
    const built = new Map<string, BuiltManifest>();
    for (let version = 1; version <= versions; version++) {
      const created = new Date(now - (versions - version) * day - hour);
      const image =
        repository === 'apps/frontend' && version === 5
          ? buildIndex([{ architecture: 'amd64' }, { architecture: 'arm64' }], { created })
          : buildImage({ created });
      built.set(`v${version}`, image);
      digests.set(`${repository}:v${version}`, await pusher.pushManifest(repository, image, `v${version}`));
    }
    // Aliases: the release tags and latest share digests with version tags.
    await pusher.pushManifest(repository, built.get('v10')!, 'release-1');
    await pusher.pushManifest(repository, built.get('v20')!, 'release-2');
    await pusher.pushManifest(repository, built.get(`v${versions}`)!, 'latest');
    if (repository === 'apps/backend') {
      // cosign-style signatures of a kept image and of a deleted one.
      for (const version of [versions, 2]) {
        const subject = built.get(`v${version}`)!;
        await pusher.pushManifest(repository, buildReferrer(subject, signature), `sha256-${subject.digest.slice('sha256:'.length)}.sig`);
      }
    }
  };

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    registry = await LocalRegistry.start({ flavor, binDir: inject('binDir') });
    const pusher = new RegistryPusher(registry.url);
    for (const repository of ['apps/frontend', 'apps/backend', 'apps/jobs']) await fill(repository, pusher);
    const kubeConfig = adminKubeConfig();
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kubeConfig, 'retention-acceptance'));
    await createImageUsers(kubeConfig, namespace, {
      pod: { name: 'jobs', image: `${registry.host}/apps/jobs:v3` },
      deployment: { name: 'backend', image: `${registry.host}/apps/backend@${digests.get('apps/backend:v4')}` },
    });
  });

  afterAll(async () => {
    await registry?.stop();
    await removeNamespace?.();
  });

  const runOnce = async (dryRun: boolean) => {
    const client = new RegistryClient({ url: registry.url, maxConcurrency: 8, repositoryActions: ['pull', 'delete'] });
    try {
      return await runRetention({
        rules: policy,
        dryRun,
        registry: client,
        registryHosts: [registry.host],
        cluster: new KubeClient(adminKubeConfig()),
        strategy: 'auto',
        log: pino({ level: 'silent' }),
      });
    } finally {
      await client.close();
    }
  };
  const decisionsOf = (report: RetentionReport) =>
    report.repositories.flatMap((repository) => repository.manifests.map((manifest) => `${repository.name}@${manifest.digest} ${manifest.action}`)).sort();

  let dryReport: RetentionReport;

  it('plans in a dry run and deletes nothing', async () => {
    const { summary, report } = await runOnce(true);
    expect(summary).toMatchObject({ outcome: 'Succeeded', dryRun: true });
    expect(summary.message).toMatch(/^dry run: .*nothing was deleted$/);
    expect(await registry.tags('apps/frontend')).toHaveLength(40);
    dryReport = report!;
  });

  it('deletes exactly what no rule keeps, keeps what workloads use, and reports the same plan as the dry run', async () => {
    const { summary, report } = await runOnce(false);
    expect(decisionsOf(report!)).toEqual(decisionsOf(dryReport));
    const kept = (...extra: string[]) => [...recent, 'v10', 'v20', 'release-1', 'release-2', 'latest', ...extra].sort();
    expect(await registry.tags('apps/frontend')).toEqual(kept());
    const keptSignature = `sha256-${digests.get(`apps/backend:v${versions}`)!.slice('sha256:'.length)}.sig`;
    expect(await registry.tags('apps/backend')).toEqual(kept('v4', keptSignature));
    expect(await registry.tags('apps/jobs')).toEqual(kept('v3'));
    // 25 old images per repository, but frontend's v5 is an index with two platform images, the
    // backend's v4 and the jobs' v3 are in use, and the signature of backend v2 goes with it.
    expect(summary).toMatchObject({ outcome: 'Succeeded', deleted: 27 + 25 + 24, protected: 2 });

    const reasons = (repository: string, tag: string) =>
      JSON.stringify(
        report!.repositories.find((entry) => entry.name === repository)!.manifests.find((manifest) => manifest.digest === digests.get(`${repository}:${tag}`))!
          .reasons,
      );
    expect(reasons('apps/jobs', 'v3')).toContain(`Pod ${namespace}/jobs`);
    expect(reasons('apps/backend', 'v4')).toContain(`Deployment ${namespace}/backend`);
    // v10 is kept through its alias release-1, by rule 1 (release-*, latest: always).
    expect(reasons('apps/frontend', 'v10')).toContain('"kind":"keptByRule","rule":1,"criterion":"always"');
    expect(reasons('apps/frontend', 'v10')).toContain('"tag":"release-1"');
  });

  it('deletes nothing on a second run', async () => {
    const { summary } = await runOnce(false);
    expect(summary).toMatchObject({ outcome: 'Succeeded', deleted: 0 });
  });
});
