import type { Registry, RegistryStatus } from '../../../api/v1alpha1/registry.ts';
import { setCondition, type Condition, type ConditionUpdate } from '../../../runtime/conditions.ts';
import type { FanOutPlan } from '../fan-out-plan.ts';
import { conditionTypes, degradedReasons, pullSecretsReasons } from './reasons.ts';

/** How many pull Secret namespaces the status lists by name; the count is always complete. */
const listedNamespaces = 20;

/**
 * The PullSecrets condition: True when the Secret is everywhere the spec asks, False (with the
 * namespaces) when the tenancy rule or a missing namespace keeps it out of some.
 */
export function pullSecretsConditionOf(plan: FanOutPlan | undefined, secretName: string | undefined): ConditionUpdate {
  const type = conditionTypes.pullSecrets;
  if (plan === undefined || secretName === undefined) {
    return { type, status: 'False', reason: pullSecretsReasons.noCredentials, message: 'no credentials to hand out: the registry is used anonymously' };
  }
  if (plan.refused.length > 0) {
    return {
      type,
      status: 'False',
      reason: pullSecretsReasons.crossNamespaceNotAllowed,
      message:
        `the pull Secret stays out of ${plan.refused.length} namespace(s) the spec selects (${plan.refused.slice(0, 5).join(', ')}): ` +
        "this namespace is not among the operator's --pull-secret-sources, which a cluster admin sets",
    };
  }
  if (plan.missing.length > 0) {
    return {
      type,
      status: 'False',
      reason: pullSecretsReasons.namespaceMissing,
      message: `spec.pullSecrets.namespaces names namespaces that do not exist: ${plan.missing.slice(0, 5).join(', ')}`,
    };
  }
  return { type, status: 'True', reason: pullSecretsReasons.distributed, message: `${secretName} is in ${plan.targets.length} namespace(s)` };
}

/**
 * The status to write: the conditions keep their lastTransitionTime unless their status flips, so
 * an unchanged world yields an identical status, which the status writer then does not send.
 */
export function composeStatus(
  registry: Registry,
  summary: Omit<RegistryStatus, 'conditions' | 'observedGeneration' | 'pullSecrets'>,
  conditions: ConditionUpdate[],
  pullSecrets: { plan: FanOutPlan | undefined; secretName: string | undefined },
): RegistryStatus {
  const observedGeneration = registry.metadata.generation;
  let merged: Condition[] = (registry.status?.conditions ?? []) as Condition[];
  for (const update of [...conditions, pullSecretsConditionOf(pullSecrets.plan, pullSecrets.secretName)]) {
    merged = setCondition(merged, update, { observedGeneration });
  }
  const targets = pullSecrets.plan?.targets ?? [];
  return {
    ...summary,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    conditions: merged,
    pullSecrets: {
      ...(pullSecrets.secretName !== undefined ? { secretName: pullSecrets.secretName } : {}),
      namespaceCount: targets.length,
      namespaces: targets.slice(0, listedNamespaces),
    },
  };
}

/**
 * The status of a Registry the schema let through but zod cannot read (a CRD older than the
 * operator, a field edited around validation): Failed, Degraded/InvalidSpec naming the field.
 * Only the conditions it is sure of change; the rest of the last status stands.
 */
export function unreadableStatus(
  current: { generation?: number; status?: { conditions?: Condition[] } },
  problems: string,
): { status: unknown; message: string } {
  const generation = current.generation;
  const message = `the spec cannot be read: ${problems.replaceAll('\n', '; ')}`;
  let conditions = current.status?.conditions ?? [];
  for (const [type, status] of [
    [conditionTypes.ready, 'False'],
    [conditionTypes.degraded, 'True'],
  ] as const) {
    conditions = setCondition(conditions, { type, status, reason: degradedReasons.invalidSpec, message }, { observedGeneration: generation });
  }
  return { status: { ...(generation !== undefined ? { observedGeneration: generation } : {}), phase: 'Failed', conditions }, message };
}
