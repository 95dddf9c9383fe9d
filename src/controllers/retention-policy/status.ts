import type { RetentionPolicyStatus } from '../../api/v1alpha1/retention-policy.ts';
import { setCondition, type Condition } from '../../runtime/conditions.ts';
import { kubeTime } from '../../runtime/kube-time.ts';
import type { PlannedDecision } from '../../retention/runner/report-configmaps.ts';
import type { LastRun } from './last-run.ts';
import { retentionConditionTypes, retentionReasons, type RetentionReason } from './reasons.ts';

export interface PolicyProblem {
  reason: RetentionReason;
  message: string;
}

export interface StatusInputs {
  generation: number | undefined;
  previous: RetentionPolicyStatus | undefined;
  /** What keeps runs from being scheduled or from working; none when all is well. */
  problem?: PolicyProblem;
  /** The Registry exists but is not Ready (runs are scheduled, and will fail until it is). */
  registryNotReady?: string;
  suspended: boolean;
  lastRun?: LastRun;
  plan?: PlannedDecision[];
  reportConfigMap?: string;
  nextRunTime?: Date;
  now?: Date;
}

/**
 * The policy's status, from what the controller found. Ready: runs are scheduled against a usable
 * Registry. Degraded: something needs a person, from the spec to the last run's failure. What a
 * previous status said about the last run stays when its Job is gone (history limits).
 */
export function composeStatus(inputs: StatusInputs): RetentionPolicyStatus {
  const options = { ...(inputs.generation !== undefined ? { observedGeneration: inputs.generation } : {}), ...(inputs.now ? { now: inputs.now } : {}) };
  let conditions: Condition[] = (inputs.previous?.conditions ?? []) as Condition[];
  const ready =
    inputs.problem !== undefined
      ? { status: 'False' as const, reason: inputs.problem.reason, message: inputs.problem.message }
      : inputs.registryNotReady !== undefined
        ? { status: 'False' as const, reason: retentionReasons.registryNotReady, message: inputs.registryNotReady }
        : inputs.suspended
          ? { status: 'True' as const, reason: retentionReasons.suspended, message: 'spec.suspend is true: no scheduled runs start (run-now still does)' }
          : { status: 'True' as const, reason: retentionReasons.scheduled, message: 'runs are scheduled' };
  conditions = setCondition(conditions, { type: retentionConditionTypes.ready, ...ready }, options);
  conditions = setCondition(conditions, { type: retentionConditionTypes.degraded, ...degraded(inputs) }, options);

  const lastRun = inputs.lastRun ?? inputs.previous?.lastRun;
  const plan = inputs.plan ?? inputs.previous?.plan;
  const reportConfigMap = inputs.reportConfigMap ?? inputs.previous?.reportConfigMap;
  return {
    ...(inputs.generation !== undefined ? { observedGeneration: inputs.generation } : {}),
    conditions,
    ...(lastRun !== undefined ? { lastRun } : {}),
    ...(inputs.nextRunTime !== undefined ? { nextRunTime: kubeTime(inputs.nextRunTime) } : {}),
    ...(plan !== undefined && plan.length > 0 ? { plan } : {}),
    ...(reportConfigMap !== undefined ? { reportConfigMap } : {}),
  };
}

function degraded(inputs: StatusInputs): { status: 'True' | 'False'; reason: RetentionReason; message: string } {
  if (inputs.problem !== undefined) return { status: 'True', ...inputs.problem };
  if (inputs.registryNotReady !== undefined) return { status: 'True', reason: retentionReasons.registryNotReady, message: inputs.registryNotReady };
  const lastRun = inputs.lastRun ?? inputs.previous?.lastRun;
  if (lastRun?.outcome === 'Failed')
    return { status: 'True', reason: retentionReasons.runFailed, message: `run ${lastRun.jobName ?? ''} failed: ${lastRun.message ?? ''}`.slice(0, 1024) };
  if (lastRun?.outcome === 'Aborted')
    return {
      status: 'True',
      reason: retentionReasons.aborted,
      message: `run ${lastRun.jobName ?? ''} was aborted by a safety rail: ${lastRun.message ?? ''}`.slice(0, 1024),
    };
  return { status: 'False', reason: retentionReasons.asExpected, message: 'nothing needs attention' };
}
