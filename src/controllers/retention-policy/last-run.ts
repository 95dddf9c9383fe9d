import type { RetentionPolicyStatus } from '../../api/v1alpha1/retention-policy.ts';
import type { RunRecord } from '../../retention/runner/report-configmaps.ts';
import type { KubeObject } from '../../runtime/resource.ts';

export type LastRun = NonNullable<RetentionPolicyStatus['lastRun']>;

/** The parts of a Job the status is made of, read defensively: the cache holds the apiserver's JSON. */
export interface RunJob extends KubeObject {
  spec?: { activeDeadlineSeconds?: number };
  status?: {
    startTime?: string;
    completionTime?: string;
    active?: number;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string }>;
  };
}

/** The policy's most recent run: the Job created last (by time, then name). */
export function latestJob(jobs: readonly RunJob[]): RunJob | undefined {
  let latest: RunJob | undefined;
  for (const job of jobs) {
    if (latest === undefined) {
      latest = job;
      continue;
    }
    const [a, b] = [createdAt(job) ?? '', createdAt(latest) ?? ''];
    if (a > b || (a === b && (job.metadata?.name ?? '') > (latest.metadata?.name ?? ''))) latest = job;
  }
  return latest;
}

/** The cache holds JSON, so the creation time is the apiserver's text, whatever client-node's type says. */
function createdAt(job: RunJob): string | undefined {
  const value: unknown = job.metadata?.creationTimestamp;
  return typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : undefined;
}

export function isJobFinished(job: RunJob): boolean {
  return (job.status?.conditions ?? []).some((condition) => (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True');
}

const messageLimit = 1024;

/**
 * `status.lastRun` from the run's Job and the record it left. The record is the run's own word and
 * wins; without one, the Job's conditions say what happened (a run killed for memory or by its
 * deadline leaves no record), and a Job that ended without one is reported as failed, never as
 * succeeded.
 */
export function lastRunOf(job: RunJob, record: RunRecord | undefined): LastRun {
  const jobName = job.metadata?.name ?? '';
  const startTime = job.status?.startTime ?? createdAt(job) ?? new Date(0).toISOString();
  if (record !== undefined) {
    const summary = record.summary;
    return {
      jobName,
      startTime: summary.startTime ?? startTime,
      ...(summary.completionTime !== undefined ? { completionTime: summary.completionTime } : {}),
      outcome: summary.outcome,
      dryRun: summary.dryRun,
      evaluated: summary.evaluated,
      kept: summary.kept,
      deleted: summary.deleted,
      protected: summary.protected,
      ...(summary.bytesReclaimed !== undefined ? { bytesReclaimed: summary.bytesReclaimed } : {}),
      message: summary.message.slice(0, messageLimit),
    };
  }
  const failed = job.status?.conditions?.find((condition) => condition.type === 'Failed' && condition.status === 'True');
  if (failed !== undefined) {
    const completionTime = failed.lastTransitionTime ?? job.status?.completionTime;
    return { jobName, startTime, ...(completionTime !== undefined ? { completionTime } : {}), outcome: 'Failed', message: failureMessage(job, failed) };
  }
  if (isJobFinished(job)) {
    return {
      jobName,
      startTime,
      ...(job.status?.completionTime !== undefined ? { completionTime: job.status.completionTime } : {}),
      outcome: 'Failed',
      message: `the run's Job ${jobName} ended without leaving a report, so what it did is unknown; its log says more`,
    };
  }
  return { jobName, startTime, message: `running in Job ${jobName}` };
}

function failureMessage(job: RunJob, failed: { reason?: string; message?: string }): string {
  const jobName = job.metadata?.name ?? '';
  if (failed.reason === 'DeadlineExceeded') {
    const seconds = job.spec?.activeDeadlineSeconds;
    return `the run took longer than spec.job.activeDeadlineSeconds${seconds !== undefined ? ` (${seconds} s)` : ''} and was stopped in Job ${jobName}; what it deleted before is not recorded`;
  }
  return `the run's Job ${jobName} failed (${failed.reason ?? 'unknown reason'}: ${failed.message ?? 'no message'}) without leaving a report; the Pod's status says why (OOMKilled: raise spec.job.resources.limits.memory)`.slice(
    0,
    messageLimit,
  );
}
