import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { RetentionPolicySpec } from '../../../src/api/v1alpha1/retention-policy.ts';
import { RegistryClient } from '../../../src/oci/client.ts';
import { deletionRequests, planDeletions } from '../../../src/retention/deletion-plan.ts';
import { evaluate, policySelects } from '../../../src/retention/evaluate.ts';
import type { RetentionReport } from '../../../src/retention/report.ts';
import { carryOutDeletions } from '../../../src/retention/runner/delete.ts';
import { readRegistrySnapshot } from '../../../src/retention/runner/read-registry.ts';
import { nothingInUse } from '../../../src/retention/snapshot.ts';
import { bundledDockyardMain } from '../../support/bundle.ts';
import { buildImage, buildIndex } from '../../registry/images.ts';
import { debianRegistryAvailable, LocalRegistry, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';

const run = promisify(execFile);
const day = 86_400_000;
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];

// Retention end to end on real registries, with no cluster: read what the registry holds,
// decide, delete the way the version supports, and read again.
describe.skipIf(inject('externalCluster')).each(flavors)('retention on a real registry (%s)', (flavor) => {
  let registry: LocalRegistry;
  let client: RegistryClient;
  const now = Date.now();
  const spec = RetentionPolicySpec.parse({
    registryRef: { name: 'main' },
    repositories: ['apps/**'],
    schedule: '0 3 * * *',
    rules: [
      { tags: ['v*'], mostRecentlyPushed: 2 },
      { tags: ['latest'], always: true },
    ],
    minTagsPerRepository: 1,
  });
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    registry = await LocalRegistry.start({ flavor, binDir: inject('binDir') });
    const pusher = new RegistryPusher(registry.url);
    // Five versions built a day apart, the newest also tagged latest; an index among them.
    for (let version = 1; version <= 5; version++) {
      const created = new Date(now - (6 - version) * day);
      const image = version === 3 ? buildIndex([{ architecture: 'amd64' }, { architecture: 'arm64' }], { created }) : buildImage({ created });
      digests[`v${version}`] = await pusher.pushManifest('apps/web', image, `v${version}`);
      if (version === 5) await pusher.pushManifest('apps/web', image, 'latest');
    }
    // Outside the policy's repositories: never touched.
    await pusher.pushManifest('tools/ci', buildImage({ created: new Date(now - 30 * day) }), 'v1');
    client = new RegistryClient({ url: registry.url, maxConcurrency: 4, repositoryActions: ['pull', 'delete'] });
  });

  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('reads the selected repositories with their created times and the index children', async () => {
    const snapshot = await readRegistrySnapshot(client, { selects: policySelects(spec), needCreatedTimes: true });
    expect(snapshot.repositories.map((repository) => repository.name)).toEqual(['apps/web']);
    const [web] = snapshot.repositories;
    expect(web!.tags.map((tag) => tag.name).sort()).toEqual(['latest', 'v1', 'v2', 'v3', 'v4', 'v5']);
    const index = web!.manifests.find((manifest) => manifest.digest === digests['v3']);
    expect(index?.children).toHaveLength(2);
    expect(index?.created).toBe(now - 3 * day);
    expect(web!.manifests.find((manifest) => manifest.digest === digests['v1'])?.created).toBe(now - 5 * day);
  });

  it('previews with `dockyard retention plan` as a person would, deleting nothing', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'dockyard-plan-'));
    try {
      const policyFile = join(scratch, 'policy.yaml');
      await writeFile(
        policyFile,
        stringify({ apiVersion: 'dockyard.dev/v1alpha1', kind: 'RetentionPolicy', metadata: { name: 'keep-recent' }, spec: { ...spec, suspend: undefined } }),
      );
      const plan = (output: string) =>
        run(process.execPath, [bundledDockyardMain(), 'retention', 'plan', '--registry', registry.url, '--policy', policyFile, '--output', output], {
          env: { ...process.env, HOME: scratch },
        });
      const report = JSON.parse((await plan('json')).stdout) as RetentionReport;
      const web = report.repositories.find((repository) => repository.name === 'apps/web')!;
      const actions = Object.fromEntries(web.manifests.flatMap((manifest) => (manifest.tags ?? []).map((tag) => [tag, manifest.action])));
      // v3 is an index: its build time is its newest platform image's, so it ranks like the others.
      expect(actions).toEqual({ latest: 'Keep', v5: 'Keep', v4: 'Keep', v3: 'Delete', v2: 'Delete', v1: 'Delete' });
      const table = (await plan('table')).stdout;
      expect(table).toContain('apps/web');
      expect(table).toMatch(/Delete/);
      expect(await client.allTags('apps/web')).toHaveLength(6);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('deletes what the plan says the way the version can, and a second run deletes nothing', async () => {
    const snapshot = await readRegistrySnapshot(client, { selects: policySelects(spec), needCreatedTimes: true });
    const plan = planDeletions(evaluate(snapshot, spec, nothingInUse, now));
    // The two images, the index and its two platform images, which go with it.
    expect(plan.manifests).toBe(5);
    const strategy = flavor === 'distribution-3' ? 'untagByTag' : 'byDigest';
    const outcome = await carryOutDeletions(client, deletionRequests(plan, strategy));
    expect(outcome).toMatchObject({ failed: [], skipped: 0 });
    expect((await client.allTags('apps/web')).sort()).toEqual(['latest', 'v4', 'v5']);
    expect(await client.allTags('tools/ci')).toEqual(['v1']);
    const again = await readRegistrySnapshot(client, { selects: policySelects(spec), needCreatedTimes: true });
    expect(planDeletions(evaluate(again, spec, nothingInUse, now)).manifests).toBe(0);
  });
});
