import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cronJobName } from '../../../src/controllers/retention-policy/names.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import { coreResources, type KubeObject } from '../../../src/runtime/resource.ts';
import { isNotFound } from '../../../src/runtime/errors.ts';
import { bundledDockyardMain } from '../../support/bundle.ts';
import { eventually } from '../../support/eventually.ts';
import { metricValue } from '../../support/metrics.ts';
import { decodeSecretData } from '../../support/secret-volume.ts';
import { createImageUsers } from '../../support/workloads.ts';
import { buildImage } from '../../registry/images.ts';
import { LocalRegistry } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { jobsNamespace, operatorUser, RegistryTestbed, retentionServiceAccount } from '../registry/testbed.ts';
import { auditedRequests, describeRequest } from '../../support/audit-log.ts';

const run = promisify(execFile);
const tenant = 'retention-tenant';
const day = 86_400_000;
const retentionPolicies = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'RetentionPolicy', plural: 'retentionpolicies', namespaced: true } as const;
const jobs = { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true } as const;
const cronJobs = { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true } as const;

type Condition = { type: string; status: string; reason: string; message: string };
type PolicyObject = KubeObject & {
  spec: Record<string, unknown>;
  status?: {
    conditions?: Condition[];
    lastRun?: Record<string, unknown>;
    nextRunTime?: string;
    reportConfigMap?: string;
    plan?: Array<Record<string, unknown>>;
  };
};
type Container = { args: string[]; env?: Array<{ name: string }>; resources?: unknown; securityContext?: unknown };
type PodTemplate = { spec: { serviceAccountName: string; nodeSelector?: Record<string, string>; securityContext?: unknown; containers: Container[] } };
type JobObject = KubeObject & { spec: { template: PodTemplate }; status?: unknown };
type CronJobObject = KubeObject & {
  spec: { schedule: string; timeZone?: string; suspend: boolean; concurrencyPolicy: string; jobTemplate: { spec: { template: PodTemplate } } };
};

// The RetentionPolicy controller as users meet it: the bundled operator with the RBAC manifests/
// installs, an external Registry that is a real distribution process on loopback, and each run
// executed here with exactly the Job's arguments and its ServiceAccount's token (kwok runs no
// containers; the policy's placement keeps kwok from pretending the Pod ran).
describe.skipIf(inject('externalCluster'))('the RetentionPolicy controller', () => {
  let testbed: RegistryTestbed;
  let client: KubeClient;
  let registry: LocalRegistry;
  let scratch: string;
  let runKubeconfig: string;
  const digests: Record<string, string> = {};

  const policy = (name: string) => client.get<PolicyObject>(retentionPolicies, { namespace: tenant, name });
  const condition = (object: PolicyObject, type: string) => object.status?.conditions?.find((candidate) => candidate.type === type);
  const waitForPolicy = (name: string, what: string, check: (object: PolicyObject) => boolean) =>
    eventually(
      async () => {
        const object = await policy(name);
        return check(object) ? object : undefined;
      },
      { what, timeoutMs: 30_000 },
    );
  const createPolicy = (name: string, spec: Record<string, unknown>) =>
    client.create(retentionPolicies, { apiVersion: 'dockyard.dev/v1alpha1', kind: 'RetentionPolicy', metadata: { name, namespace: tenant }, spec });
  const cronJobOf = (name: string) => client.get<CronJobObject>(cronJobs, { namespace: jobsNamespace, name: cronJobName(tenant, name) });
  const eventsFor = async (name: string) => {
    const list = await testbed.core.listNamespacedEvent({ namespace: tenant, fieldSelector: `involvedObject.name=${name}` });
    return list.items.map((event) => `${event.reason}: ${event.message}`);
  };

  /** The Job's container, run here: its own args and env, its ServiceAccount's token, its mounted credentials. */
  const executeJob = async (job: JobObject) => {
    const container = job.spec.template.spec.containers[0]!;
    const secretName = (job.spec.template.spec as { volumes?: Array<{ secret?: { secretName: string } }> }).volumes?.[0]?.secret?.secretName;
    const credentialsDir = await mkdtemp(join(scratch, 'credentials-'));
    const secret = await testbed.core.readNamespacedSecret({ namespace: jobsNamespace, name: secretName! });
    for (const [key, value] of Object.entries(decodeSecretData(secret.data ?? {}))) await writeFile(join(credentialsDir, key), value);
    const variables: Record<string, string> = { JOB_NAME: job.metadata!.name!, JOB_UID: job.metadata!.uid!, POD_NAMESPACE: jobsNamespace };
    const args = container.args
      .map((arg) => arg.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => variables[name] ?? ''))
      .map((arg) => (arg === '/var/run/dockyard/retention' ? credentialsDir : arg));
    return run(process.execPath, [bundledDockyardMain(), ...args, '--kubeconfig', runKubeconfig, '--termination-log', join(credentialsDir, 'termination-log')]);
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'dockyard-retention-controller-'));
    registry = await LocalRegistry.start({ flavor: 'distribution-3', binDir: inject('binDir') });
    const pusher = new RegistryPusher(registry.url);
    const now = Date.now();
    for (let version = 1; version <= 4; version++) {
      digests[`v${version}`] = await pusher.pushManifest('apps/api', buildImage({ created: new Date(now - (5 - version) * day) }), `v${version}`);
    }
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: '' });
    client = new KubeClient(testbed.kubeConfig);
    await testbed.createNamespace(tenant);
    await createImageUsers(testbed.kubeConfig, tenant, { pod: { name: 'api-v1', image: `${registry.host}/apps/api:v1` } });
    await testbed.createRegistry(tenant, 'outside', { external: { url: registry.url } });
    await testbed.waitForReady(tenant, 'outside');

    // A kubeconfig for the runs' ServiceAccount, with a token the apiserver issued for it.
    const token = await testbed.core.createNamespacedServiceAccountToken({
      namespace: jobsNamespace,
      name: retentionServiceAccount,
      body: { spec: { expirationSeconds: 3600, audiences: [] } },
    });
    const kubeconfig = parse(await readFile(testbed.plane.kubeconfigPath, 'utf8')) as { users: Array<{ user: Record<string, unknown> }> };
    for (const entry of kubeconfig.users) entry.user = { token: token.status?.token };
    runKubeconfig = join(scratch, 'retention.kubeconfig');
    await writeFile(runKubeconfig, stringify(kubeconfig));
  });

  afterAll(async () => {
    await testbed?.stop();
    await registry?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('makes a CronJob with the schedule, time zone, limits and placement, run as the retention identity', async () => {
    await createPolicy('keep-two', {
      registryRef: { name: 'outside' },
      repositories: ['apps/**'],
      schedule: '30 2 * * *',
      timeZone: 'Europe/Berlin',
      rules: [{ tags: ['v*'], mostRecentlyPushed: 2 }],
      minTagsPerRepository: 0,
      job: {
        resources: { limits: { memory: '640Mi' } },
        placement: { nodeSelector: { 'test.dockyard.dev/no-such-node': 'true' } },
        activeDeadlineSeconds: 600,
      },
    });
    const cronJob = await eventually(() => cronJobOf('keep-two').catch(() => undefined), { what: 'the CronJob', timeoutMs: 30_000 });
    expect(cronJob.spec).toMatchObject({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin', suspend: false, concurrencyPolicy: 'Forbid' });
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe(retentionServiceAccount);
    expect(pod.nodeSelector).toEqual({ 'test.dockyard.dev/no-such-node': 'true' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0]!.resources).toEqual({ limits: { memory: '640Mi' } });
    expect(pod.containers[0]!.args).toEqual(
      expect.arrayContaining(['--policy', `${tenant}/keep-two`, '--registry', registry.url, '--registry-host', registry.host]),
    );

    const ready = await waitForPolicy('keep-two', 'Ready', (object) => condition(object, 'Ready')?.status === 'True');
    expect(condition(ready, 'Ready')?.reason).toBe('Scheduled');
    // 02:30 in Berlin is 00:30 or 01:30 UTC, depending on daylight saving time.
    expect(ready.status?.nextRunTime).toMatch(/T0[01]:30:00Z$/);
  });

  it('starts one Job per run-now value, refuses one while a run is active, and reports the run the Job executes', async () => {
    await client.patch(retentionPolicies, { namespace: tenant, name: 'keep-two' }, 'merge', { metadata: { annotations: { 'dockyard.dev/run-now': 'first' } } });
    const started = await waitForPolicy('keep-two', 'the run to start', (object) => object.status?.lastRun?.['jobName'] !== undefined);
    const jobName = started.status!.lastRun!['jobName'] as string;
    expect(started.status?.lastRun?.['outcome']).toBeUndefined();

    await client.patch(retentionPolicies, { namespace: tenant, name: 'keep-two' }, 'merge', {
      metadata: { annotations: { 'dockyard.dev/run-now': 'second' } },
    });
    await eventually(async () => (await eventsFor('keep-two')).some((event) => event.startsWith('RunNowRefused') && event.includes(jobName)), {
      what: 'the RunNowRefused event',
      timeoutMs: 30_000,
    });
    const list = await client.list<JobObject>(jobs, { namespace: jobsNamespace });
    expect(list.items.map((job) => job.metadata?.name)).toEqual([jobName]);

    const job = await client.get<JobObject>(jobs, { namespace: jobsNamespace, name: jobName });
    await executeJob(job);

    const finished = await waitForPolicy('keep-two', 'the run to be reported', (object) => object.status?.lastRun?.['outcome'] !== undefined);
    expect(finished.status?.lastRun).toMatchObject({ jobName, outcome: 'Succeeded', dryRun: false, deleted: 1, protected: 1 });
    // v1 is in use by a Pod; v3 and v4 are the two most recently pushed.
    expect(await registry.tags('apps/api')).toEqual(['v1', 'v3', 'v4']);
    expect(condition(finished, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(finished.status?.plan?.[0]).toMatchObject({ repository: 'apps/api', tag: 'v2', action: 'Delete' });

    const report = await testbed.core.readNamespacedConfigMap({ namespace: tenant, name: finished.status!.reportConfigMap! });
    const content = JSON.parse(report.data?.['report.json'] ?? '{}') as { repositories: Array<{ manifests: Array<{ digest: string; reasons: unknown[] }> }> };
    const v1 = content.repositories[0]!.manifests.find((manifest) => manifest.digest === digests['v1']);
    expect(JSON.stringify(v1?.reasons)).toContain(`Pod ${tenant}/api-v1`);
    expect(JSON.parse(report.data?.['summary.json'] ?? '{}')).toMatchObject({ summary: { outcome: 'Succeeded', deleted: 1 } });

    await eventually(async () => (await eventsFor('keep-two')).some((event) => event.startsWith('RunSucceeded') && event.includes('deleted 1 manifests')), {
      what: 'the RunSucceeded event',
      timeoutMs: 30_000,
    });
    const metrics = await testbed.operator.healthUrl();
    const labels = { namespace: tenant, policy: 'keep-two' };
    expect(await metricValue(metrics, 'dockyard_retention_deleted_manifests', labels)).toBe(1);
    expect(await metricValue(metrics, 'dockyard_retention_protected_manifests', labels)).toBe(1);
    expect(await metricValue(metrics, 'dockyard_retention_last_run_outcome', { ...labels, outcome: 'Succeeded' })).toBe(1);
    expect(await metricValue(metrics, 'dockyard_retention_last_run_outcome', { ...labels, outcome: 'Failed' })).toBe(0);
  });

  it("gives the runs' identity no Secret in a tenant namespace and no write outside its own report", async () => {
    const config = new KubeConfig();
    config.loadFromFile(runKubeconfig);
    const asRun = new KubeClient(config);
    await testbed.core.createNamespacedSecret({
      namespace: tenant,
      body: { metadata: { name: 'tenant-secret' }, stringData: { password: 'not-for-retention' } },
    });
    for (const attempt of [
      () => asRun.get(coreResources.configMaps, { namespace: tenant, name: 'keep-two-retention-report' }),
      () => asRun.get({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }, { namespace: tenant, name: 'tenant-secret' }),
      () => asRun.get({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }, { namespace: jobsNamespace, name: 'anything' }),
      () => asRun.create(coreResources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'planted', namespace: tenant } }),
      () => asRun.patch(retentionPolicies, { namespace: tenant, name: 'keep-two' }, 'merge', { spec: { dryRun: true } }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 403 });
    }
  });

  it('follows suspend and schedule changes, keeps a second policy apart, and says when the Registry is missing', async () => {
    await client.patch(retentionPolicies, { namespace: tenant, name: 'keep-two' }, 'merge', { spec: { suspend: true, schedule: '0 4 * * 1' } });
    await eventually(async () => ((await cronJobOf('keep-two')).spec.suspend === true ? true : undefined), { what: 'a suspended CronJob', timeoutMs: 30_000 });
    expect((await cronJobOf('keep-two')).spec.schedule).toBe('0 4 * * 1');
    const suspended = await waitForPolicy('keep-two', 'Ready/Suspended', (object) => condition(object, 'Ready')?.reason === 'Suspended');
    expect(suspended.status?.nextRunTime).toBeUndefined();

    await createPolicy('nightly', { registryRef: { name: 'outside' }, repositories: ['apps/**'], schedule: '@daily', rules: [{ always: true }] });
    await eventually(() => cronJobOf('nightly').catch(() => undefined), { what: "the second policy's CronJob", timeoutMs: 30_000 });
    expect((await cronJobOf('keep-two')).spec.suspend).toBe(true);

    await createPolicy('orphan', { registryRef: { name: 'missing' }, repositories: ['**'], schedule: '@daily', rules: [{ always: true }] });
    const orphan = await waitForPolicy('orphan', 'Degraded/RegistryNotFound', (object) => condition(object, 'Degraded')?.reason === 'RegistryNotFound');
    expect(condition(orphan, 'Ready')).toMatchObject({ status: 'False', reason: 'RegistryNotFound' });
    expect(condition(orphan, 'Degraded')?.message).toContain('spec.registryRef');
    await expect(cronJobOf('orphan')).rejects.toSatisfy(isNotFound);
  });

  it('writes nothing for a minute while policies are in place and no run happens, though each is reconciled', async () => {
    const from = Date.now();
    for (const name of ['keep-two', 'nightly', 'orphan']) {
      await client.patch(retentionPolicies, { namespace: tenant, name }, 'merge', { metadata: { labels: { 'test.dockyard.dev/nudge': 'idle' } } });
    }
    await testbed.operator.waitForLog(
      (line) => line.msg === 'reconciled' && line['key'] === `${tenant}/orphan` && Date.parse(line.time) > from,
      'a reconcile of the nudged policies',
      { timeoutMs: 30_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() - from)));
    const writes = await auditedRequests(testbed.plane.auditLogFile, operatorUser, { from, to: Date.now() });
    expect(writes.map(describeRequest)).toEqual([]);
  }, 90_000);

  it('removes the CronJob when the policy goes, and the report with it', async () => {
    await client.delete(retentionPolicies, { namespace: tenant, name: 'keep-two' });
    await testbed.waitForGone(() => cronJobOf('keep-two'), 'the CronJob of the deleted policy');
    await testbed.waitForGone(() => testbed.core.readNamespacedConfigMap({ namespace: tenant, name: 'keep-two-retention-report' }), 'the report');
    const metrics = await (await fetch(`${await testbed.operator.healthUrl()}/metrics`)).text();
    expect(metrics).not.toContain('policy="keep-two"');
    expect((await cronJobOf('nightly')).metadata?.name).toBe(cronJobName(tenant, 'nightly'));
  });
});
