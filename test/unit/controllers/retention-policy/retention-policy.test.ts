import { describe, expect, it } from 'vitest';
import { RetentionPolicySpec } from '../../../../src/api/v1alpha1/retention-policy.ts';
import { Registry } from '../../../../src/api/v1alpha1/registry.ts';
import { retentionCronJob } from '../../../../src/controllers/retention-policy/cron-job.ts';
import { lastRunOf, latestJob, type RunJob } from '../../../../src/controllers/retention-policy/last-run.ts';
import { cronJobName, runNowJobName } from '../../../../src/controllers/retention-policy/names.ts';
import { isTargetProblem, retentionTarget } from '../../../../src/controllers/retention-policy/registry-target.ts';
import { runNowDecision } from '../../../../src/controllers/retention-policy/run-now.ts';
import { composeStatus } from '../../../../src/controllers/retention-policy/status.ts';
import type { RunRecord } from '../../../../src/retention/runner/report-configmaps.ts';

const spec = RetentionPolicySpec.parse({ registryRef: { name: 'main' }, repositories: ['**'], schedule: '@daily', rules: [{ always: true }] });
const registry = (body: Record<string, unknown>) =>
  Registry.parse({ apiVersion: 'dockyard.dev/v1alpha1', kind: 'Registry', metadata: { name: 'main', namespace: 'team-a' }, spec: body });
const job = (name: string, created: string, status: RunJob['status'] = {}): RunJob => ({ metadata: { name, creationTimestamp: created as never }, status });
const record: RunRecord = {
  summary: {
    outcome: 'Aborted',
    dryRun: false,
    message: 'would delete 900 manifests, more than maxDeletionsPerRun (500); nothing was deleted',
    evaluated: 1000,
    kept: 100,
    deleted: 0,
    protected: 3,
    startTime: '2026-12-01T03:00:01Z',
    completionTime: '2026-12-01T03:00:09Z',
  },
  plan: [],
  parts: 1,
};

describe('RetentionPolicy names', () => {
  it('fits every CronJob name in 52 characters and keeps policies with long or similar names apart', () => {
    const long = 'a'.repeat(253);
    expect(cronJobName('team-a', long).length).toBeLessThanOrEqual(52);
    expect(cronJobName('team-a', 'nightly')).not.toBe(cronJobName('team-b', 'nightly'));
    expect(cronJobName('team-a', `${long.slice(0, 60)}x`)).not.toBe(cronJobName('team-a', `${long.slice(0, 60)}y`));
    expect(runNowJobName(cronJobName('team-a', long), 'any value').length).toBeLessThanOrEqual(63);
  });
});

describe('retentionTarget', () => {
  it("reaches a managed Registry at its Service's full name with its maintainer identity", () => {
    const target = retentionTarget(registry({ storage: { emptyDir: {} } }), 'main', 'cluster.local');
    expect(isTargetProblem(target)).toBe(false);
    expect(target).toMatchObject({
      url: 'http://main-registry.team-a.svc.cluster.local:5000',
      credentials: { username: { name: 'main-registry-maintainer' } },
    });
    expect((target as { hosts: string[] }).hosts).toContain('main-registry.team-a.svc:5000');
  });

  it('uses only the retention credential of an external Registry, never the fanned-out one', () => {
    const withRetention = retentionTarget(
      registry({
        external: { url: 'https://registry.example.com', credentialsSecretRef: { name: 'fanned' }, retentionCredentialsSecretRef: { name: 'deleter' } },
      }),
      'main',
      'cluster.local',
    );
    expect(withRetention).toMatchObject({
      url: 'https://registry.example.com',
      hosts: ['registry.example.com'],
      credentials: { password: { name: 'deleter' } },
    });
    const anonymous = retentionTarget(
      registry({ external: { url: 'https://registry.example.com', credentialsSecretRef: { name: 'fanned' } } }),
      'main',
      'cluster.local',
    );
    expect(anonymous).not.toHaveProperty('credentials');
  });

  it('refuses a missing Registry and a pull-through cache with reasons', () => {
    expect(retentionTarget(undefined, 'main', 'cluster.local')).toMatchObject({ reason: 'RegistryNotFound' });
    const proxy = retentionTarget(registry({ storage: { emptyDir: {} }, proxy: { remoteURL: 'https://registry-1.docker.io' } }), 'main', 'cluster.local');
    expect(proxy).toMatchObject({ reason: 'UnsupportedRegistry' });
  });
});

describe('the CronJob', () => {
  const cronJob = retentionCronJob({
    policy: { namespace: 'team-a', name: 'nightly', spec: { ...spec, timeZone: 'Europe/Berlin', suspend: true } },
    cronJobName: 'retention-nightly-12345678',
    jobsNamespace: 'dockyard-system',
    image: 'dockyard:1.0',
    serviceAccountName: 'dockyard-retention',
    registry: { url: 'http://main-registry.team-a.svc.cluster.local:5000', hosts: ['a:5000', 'b:5000'] },
    credentialsSecretName: 'retention-nightly-12345678-credentials',
  });
  const pod = cronJob.spec!.jobTemplate.spec!.template.spec!;

  it('schedules as the policy says and never runs two at once or retries a failed run', () => {
    expect(cronJob.spec).toMatchObject({
      schedule: '@daily',
      timeZone: 'Europe/Berlin',
      suspend: true,
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
    });
    expect(cronJob.spec!.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3600 });
  });

  it('runs restricted, as the retention identity, with the credentials mounted read-only and a memory limit', () => {
    expect(pod.serviceAccountName).toBe('dockyard-retention');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod.containers[0]!;
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.resources?.limits?.['memory']).toBeDefined();
    expect(container.volumeMounts).toEqual([{ name: 'credentials', mountPath: '/var/run/dockyard/retention', readOnly: true }]);
    expect(container.args).toEqual(expect.arrayContaining(['--registry-host', 'a:5000', '--registry-host', 'b:5000', '--report-job', '$(JOB_NAME)']));
    expect(container.env?.map((variable) => variable.name)).toEqual(['POD_NAMESPACE', 'JOB_NAME', 'JOB_UID']);
  });
});

describe('the last run', () => {
  it('is the newest Job', () => {
    expect(latestJob([job('a', '2026-12-01T01:00:00Z'), job('c', '2026-12-01T03:00:00Z'), job('b', '2026-12-01T02:00:00Z')])?.metadata?.name).toBe('c');
  });

  it("takes the run's own record first", () => {
    expect(lastRunOf(job('r', '2026-12-01T03:00:00Z'), record)).toMatchObject({ jobName: 'r', outcome: 'Aborted', deleted: 0, protected: 3, evaluated: 1000 });
  });

  it('reports a Job that ended without a record as failed, never as succeeded, and says why', () => {
    const completed = job('r', '2026-12-01T03:00:00Z', { conditions: [{ type: 'Complete', status: 'True' }] });
    expect(lastRunOf(completed, undefined)).toMatchObject({ outcome: 'Failed', message: expect.stringContaining('without leaving a report') });
    const timedOut = {
      ...job('r', '2026-12-01T03:00:00Z', { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] }),
      spec: { activeDeadlineSeconds: 600 },
    };
    expect(lastRunOf(timedOut, undefined)).toMatchObject({ outcome: 'Failed', message: expect.stringContaining('activeDeadlineSeconds (600 s)') });
    expect(lastRunOf(job('r', '2026-12-01T03:00:00Z', { active: 1 }), undefined)).not.toHaveProperty('outcome');
  });
});

describe('run now', () => {
  it('acts once per value and refuses while a run is active', () => {
    expect(runNowDecision({ 'dockyard.dev/run-now': '1' }, undefined, 'cj', undefined)).toMatchObject({ action: 'start', jobName: runNowJobName('cj', '1') });
    expect(runNowDecision({ 'dockyard.dev/run-now': '1' }, '1', 'cj', undefined)).toEqual({ action: 'none' });
    expect(runNowDecision({ 'dockyard.dev/run-now': '2' }, '1', 'cj', 'cj-123')).toEqual({ action: 'refuse', value: '2', activeJob: 'cj-123' });
    expect(runNowDecision(undefined, undefined, 'cj', undefined)).toEqual({ action: 'none' });
  });
});

describe('the status', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  it('is Ready and not Degraded when runs are scheduled and the last one succeeded', () => {
    const status = composeStatus({
      generation: 2,
      previous: undefined,
      suspended: false,
      lastRun: { ...lastRunOf(job('r', 'x'), { ...record, summary: { ...record.summary, outcome: 'Succeeded' } }) },
      now,
    });
    expect(status.conditions?.map((condition) => `${condition.type}=${condition.status}/${condition.reason}`)).toEqual([
      'Ready=True/Scheduled',
      'Degraded=False/AsExpected',
    ]);
    expect(status.observedGeneration).toBe(2);
  });

  it('is Degraded with the safety rail that aborted the last run', () => {
    const status = composeStatus({ generation: 1, previous: undefined, suspended: false, lastRun: lastRunOf(job('r', 'x'), record), now });
    const degraded = status.conditions?.find((condition) => condition.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'Aborted' });
    expect(degraded?.message).toContain('maxDeletionsPerRun');
  });

  it('keeps what it knew of the last run when the Job is gone, and says when the Registry is not usable', () => {
    const previous = composeStatus({
      generation: 1,
      previous: undefined,
      suspended: false,
      lastRun: lastRunOf(job('r', 'x'), record),
      reportConfigMap: 'p-retention-report',
      now,
    });
    const status = composeStatus({ generation: 1, previous, suspended: false, registryNotReady: 'Registry main is not Ready', now });
    expect(status.lastRun?.jobName).toBe('r');
    expect(status.reportConfigMap).toBe('p-retention-report');
    expect(status.conditions?.find((condition) => condition.type === 'Ready')).toMatchObject({ status: 'False', reason: 'RegistryNotReady' });
  });
});
