/**
 * Every condition type and reason a RetentionPolicy's status can carry. The status code uses these
 * constants, and docs/troubleshooting.md lists them from `retentionReasonGuide` (make docs).
 */

export const retentionConditionTypes = { ready: 'Ready', degraded: 'Degraded' } as const;

export const retentionReasons = {
  scheduled: 'Scheduled',
  suspended: 'Suspended',
  asExpected: 'AsExpected',
  invalidSpec: 'InvalidSpec',
  registryNotFound: 'RegistryNotFound',
  registryNotReady: 'RegistryNotReady',
  unsupportedRegistry: 'UnsupportedRegistry',
  secretMissing: 'SecretMissing',
  cronJobRejected: 'CronJobRejected',
  runFailed: 'RunFailed',
  aborted: 'Aborted',
} as const;

export type RetentionReason = (typeof retentionReasons)[keyof typeof retentionReasons];

export interface RetentionReasonGuide {
  conditions: string[];
  meaning: string;
  action: string;
}

export const retentionReasonGuide: Readonly<Record<RetentionReason, RetentionReasonGuide>> = {
  Scheduled: { conditions: ['Ready=True'], meaning: 'The CronJob exists and the Registry is usable; runs happen on the schedule.', action: '' },
  Suspended: {
    conditions: ['Ready=True'],
    meaning: 'spec.suspend is true: the CronJob exists but starts no scheduled runs.',
    action: 'Set spec.suspend to false to resume.',
  },
  AsExpected: { conditions: ['Degraded=False'], meaning: 'Nothing needs attention.', action: '' },
  InvalidSpec: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The spec cannot be read (the message names the field), so nothing was changed.',
    action: 'Fix the field the message names.',
  },
  RegistryNotFound: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'spec.registryRef names a Registry that does not exist in this namespace; no runs are scheduled.',
    action: 'Create the Registry, or delete the policy.',
  },
  RegistryNotReady: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The Registry exists but is not Ready; scheduled runs still start and fail until it is.',
    action: 'kubectl describe registry NAME: its conditions say why.',
  },
  UnsupportedRegistry: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The Registry is a pull-through cache (spec.proxy), which refuses deletes; no runs are scheduled.',
    action: 'Use the proxy ttl to expire cached content; delete the policy.',
  },
  SecretMissing: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'A Secret or ConfigMap the runs need (retention credentials, CA bundle) is missing or lacks the key the message names.',
    action: 'Create it with the named keys.',
  },
  CronJobRejected: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: "The apiserver refused the policy's CronJob; the message quotes why (often the schedule, time zone or placement).",
    action: 'Fix the spec field the message names.',
  },
  RunFailed: {
    conditions: ['Degraded=True'],
    meaning:
      'The last run failed (registry unreachable, credentials refused, deadline exceeded, out of memory); the message says why. What it deleted before failing is in its report.',
    action: 'Read status.lastRun.message and the Job log (kubectl logs -n OPERATOR_NAMESPACE job/JOB); the next scheduled run tries again.',
  },
  Aborted: {
    conditions: ['Degraded=True'],
    meaning: 'A safety rail stopped the last run before it deleted anything: the circuit breaker (maxDeletionsPerRun), or workloads that could not be listed.',
    action: 'Read the message; raise maxDeletionsPerRun if the deletions are intended, or fix the listing permission.',
  },
};
