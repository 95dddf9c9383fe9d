import type { V1Job } from '@kubernetes/client-node';
import type { KubeObject } from '../../runtime/resource.ts';
import type { RetentionCronJob } from './cron-job.ts';
import { runNowAnnotation, runNowJobName } from './names.ts';

export type RunNowDecision = { action: 'none' } | { action: 'start'; value: string; jobName: string } | { action: 'refuse'; value: string; activeJob: string };

/**
 * What a `dockyard.dev/run-now` value asks for. Each value acts once: the CronJob remembers the
 * last one acted on, and the Job's name derives from the value, so a restart between creating the
 * Job and remembering the value cannot start a second run. A value that arrives while a run is
 * active is refused, not queued: a second run right after the first would find nothing new.
 */
export function runNowDecision(
  policyAnnotations: Record<string, string> | undefined,
  handled: string | undefined,
  cronJobName: string,
  activeJob: string | undefined,
): RunNowDecision {
  const value = policyAnnotations?.[runNowAnnotation];
  if (value === undefined || value === '' || value === handled) return { action: 'none' };
  if (activeJob !== undefined) return { action: 'refuse', value, activeJob };
  return { action: 'start', value, jobName: runNowJobName(cronJobName, value) };
}

/** A Job made from the CronJob's template, as `kubectl create job --from=cronjob/...` makes one. */
export function runNowJob(cronJob: RetentionCronJob, jobName: string, value: string): KubeObject & Pick<V1Job, 'spec'> {
  const template = cronJob.spec?.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName,
      namespace: cronJob.metadata?.namespace,
      labels: { ...(template?.metadata?.labels ?? {}) },
      annotations: { ...(template?.metadata?.annotations ?? {}), [runNowAnnotation]: value, 'cronjob.kubernetes.io/instantiate': 'manual' },
      // Owned by the CronJob like its scheduled Jobs, so Forbid and the history limits count it.
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata?.name ?? '', uid: cronJob.metadata?.uid ?? '', controller: true }],
    },
    ...(template?.spec !== undefined ? { spec: template.spec } : {}),
  };
}
