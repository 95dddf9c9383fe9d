import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RetentionPolicySpec } from '../../../src/api/v1alpha1/retention-policy.ts';
import { RegistryClient } from '../../../src/oci/client.ts';
import { runRetention } from '../../../src/retention/runner/run.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import { bundledDockyardMain } from '../../support/bundle.ts';
import { installDockyardCrds } from '../../support/crds.ts';
import { adminKubeConfig, createTestNamespace } from '../../support/kube.ts';
import { createImageUsers } from '../../support/workloads.ts';
import { buildImage } from '../../registry/images.ts';
import { LocalRegistry } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';

const run = promisify(execFile);

/** The summary a run logs last ('retention run ended'). */
function lastSummary(stdout: string): Record<string, unknown> {
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const last = lines.at(-1)!;
  expect(last['msg']).toBe('retention run ended');
  return last;
}
const day = 86_400_000;

// `dockyard retention run` as the Job runs it, against the local control plane and a real
// registry: what Pods and Deployments use survives, by tag and by digest; a cluster that cannot
// be read, and the circuit breaker, delete nothing.
describe.skipIf(inject('externalCluster'))('dockyard retention run', () => {
  let registry: LocalRegistry;
  let namespace: string;
  let removeNamespace: () => Promise<void>;
  let scratch: string;
  const digests: Record<string, string> = {};
  const now = Date.now();

  const pushVersions = async (repository: string) => {
    const pusher = new RegistryPusher(registry.url);
    for (let version = 1; version <= 4; version++) {
      digests[`${repository}:v${version}`] = await pusher.pushManifest(repository, buildImage({ created: new Date(now - (5 - version) * day) }), `v${version}`);
    }
  };
  /** `dockyard retention run` for the test's policy, as its Job would run it (the bundle, a kubeconfig for in-cluster credentials). */
  const retentionRunCommand = (...extra: string[]) =>
    run(process.execPath, [
      bundledDockyardMain(),
      'retention',
      'run',
      '--policy',
      `${namespace}/keep-newest`,
      '--registry',
      registry.url,
      '--kubeconfig',
      inject('kubeconfig'),
      ...extra,
    ]);
  const policy = {
    registryRef: { name: 'main' },
    repositories: ['apps/**'],
    schedule: '0 3 * * *',
    rules: [{ tags: ['v*'], mostRecentlyPushed: 1 }],
    minTagsPerRepository: 0,
  };

  beforeAll(async () => {
    const kubeConfig = adminKubeConfig();
    await installDockyardCrds(kubeConfig, 'dockyard-test');
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kubeConfig, 'retention-run'));
    scratch = await mkdtemp(join(tmpdir(), 'dockyard-retention-run-'));
    registry = await LocalRegistry.start({ flavor: 'distribution-3', binDir: inject('binDir') });
    await pushVersions('apps/api');
    const image = (tagOrDigest: string) => `${registry.host}/apps/api${tagOrDigest}`;
    // v1 runs in a Pod by tag; v2 is in a Deployment's template by digest; v4 is the newest.
    await createImageUsers(kubeConfig, namespace, {
      pod: { name: 'api-v1', image: image(':v1') },
      deployment: { name: 'api', image: image(`@${digests['apps/api:v2']}`) },
    });
    await kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'dockyard.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'retentionpolicies',
      body: { apiVersion: 'dockyard.dev/v1alpha1', kind: 'RetentionPolicy', metadata: { name: 'keep-newest' }, spec: policy },
    });
  });

  afterAll(async () => {
    await registry?.stop();
    await removeNamespace?.();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('deletes only what no rule keeps and nothing the cluster uses, and says so in its summary and report', async () => {
    const terminationLog = join(scratch, 'termination-log');
    const reportFile = join(scratch, 'report.json');
    const { stdout } = await retentionRunCommand('--report-file', reportFile, '--termination-log', terminationLog);
    expect(await registry.tags('apps/api')).toEqual(['v1', 'v2', 'v4']);
    const summary = lastSummary(stdout);
    expect(summary).toMatchObject({ outcome: 'Succeeded', dryRun: false, deleted: 1, protected: 2 });
    expect(summary).toMatchObject(JSON.parse(await readFile(terminationLog, 'utf8')));
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as {
      repositories: Array<{ manifests: Array<{ digest: string; reasons: Array<{ kind: string; usedBy?: string }> }> }>;
    };
    const reasonsOf = (digest: string) => report.repositories[0]!.manifests.find((manifest) => manifest.digest === digest)!.reasons;
    expect(JSON.stringify(reasonsOf(digests['apps/api:v1']!))).toContain(`Pod ${namespace}/api-v1`);
    expect(JSON.stringify(reasonsOf(digests['apps/api:v2']!))).toContain(`Deployment ${namespace}/api`);

    // A second run finds nothing more to delete.
    const second = await retentionRunCommand('--termination-log', terminationLog);
    expect(lastSummary(second.stdout)).toMatchObject({ outcome: 'Succeeded', deleted: 0 });
  });

  it('aborts without reading the registry when the cluster cannot be read, and deletes nothing', async () => {
    await pushVersions('apps/worker');
    // The administrator's credentials, impersonating a user that no RBAC rule mentions.
    const kubeconfig = parse(await readFile(inject('kubeconfig'), 'utf8')) as { users: Array<{ user: Record<string, unknown> }> };
    for (const { user } of kubeconfig.users) user['as'] = 'dockyard-without-rbac';
    const file = join(scratch, 'no-rbac.kubeconfig');
    await writeFile(file, stringify(kubeconfig));
    const config = new KubeConfig();
    config.loadFromFile(file);
    const client = new RegistryClient({ url: registry.url, repositoryActions: ['pull', 'delete'] });
    try {
      const { summary } = await runRetention({
        rules: RetentionPolicySpec.parse(policy),
        dryRun: false,
        registry: client,
        registryHosts: [registry.host],
        cluster: new KubeClient(config),
        strategy: 'auto',
        log: pino({ level: 'silent' }),
      });
      expect(summary).toMatchObject({ outcome: 'Aborted', deleted: 0 });
      expect(summary.message).toMatch(/^could not list pods across the cluster, so what is in use is unknown; nothing was deleted/);
      expect(client.requestCounts()['manifest-get'] ?? 0).toBe(0);
    } finally {
      await client.close();
    }
    expect(await registry.tags('apps/worker')).toEqual(['v1', 'v2', 'v3', 'v4']);
  });

  it('fails with a clear message, deciding and deleting nothing, when the registry cannot be reached', async () => {
    const unreachable = new RegistryClient({ url: 'http://127.0.0.1:9', repositoryActions: ['pull', 'delete'], retry: { maxAttempts: 2, baseDelayMs: 10 } });
    try {
      const { summary, report } = await runRetention({
        rules: RetentionPolicySpec.parse({ ...policy, keepInUse: false }),
        dryRun: false,
        registry: unreachable,
        registryHosts: ['127.0.0.1:9'],
        cluster: undefined,
        strategy: 'auto',
        log: pino({ level: 'silent' }),
      });
      expect(summary).toMatchObject({ outcome: 'Failed', deleted: 0, evaluated: 0 });
      expect(summary.message).toMatch(/^could not read the registry, so nothing was decided or deleted: .*127\.0\.0\.1:9/);
      expect(report).toBeUndefined();
    } finally {
      await unreachable.close();
    }
  });

  it('deletes nothing when the plan exceeds maxDeletionsPerRun', async () => {
    const client = new RegistryClient({ url: registry.url, repositoryActions: ['pull', 'delete'] });
    try {
      const { summary } = await runRetention({
        rules: RetentionPolicySpec.parse({ ...policy, repositories: ['apps/worker'], maxDeletionsPerRun: 2 }),
        dryRun: false,
        registry: client,
        registryHosts: [registry.host],
        cluster: new KubeClient(adminKubeConfig()),
        strategy: 'auto',
        log: pino({ level: 'silent' }),
      });
      expect(summary).toMatchObject({ outcome: 'Aborted', deleted: 0 });
      expect(summary.message).toBe('would delete 3 manifests, more than maxDeletionsPerRun (2): nothing is deleted');
    } finally {
      await client.close();
    }
    expect(await registry.tags('apps/worker')).toEqual(['v1', 'v2', 'v3', 'v4']);
  });
});
