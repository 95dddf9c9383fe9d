import type { Registry, RegistryStatus } from '../../api/v1alpha1/registry.ts';
import { setCondition, type Condition, type ConditionUpdate } from '../../runtime/conditions.ts';
import type { FanOutPlan } from './fan-out-plan.ts';

/** How many pull Secret namespaces the status lists by name; the count is always complete. */
const listedNamespaces = 20;

export const pullSecretsCondition = 'PullSecrets';

/**
 * The PullSecrets condition: True when the Secret is everywhere the spec asks, False (with the
 * namespaces) when the tenancy rule or a missing namespace keeps it out of some.
 */
export function pullSecretsConditionOf(plan: FanOutPlan | undefined, secretName: string | undefined): ConditionUpdate {
  if (plan === undefined || secretName === undefined) {
    return { type: pullSecretsCondition, status: 'False', reason: 'NoCredentials', message: 'no credentials to hand out: the registry is used anonymously' };
  }
  if (plan.refused.length > 0) {
    return {
      type: pullSecretsCondition,
      status: 'False',
      reason: 'CrossNamespaceNotAllowed',
      message:
        `the pull Secret stays out of ${plan.refused.length} namespace(s) the spec selects (${plan.refused.slice(0, 5).join(', ')}): ` +
        "this namespace is not among the operator's --pull-secret-sources, which a cluster admin sets",
    };
  }
  if (plan.missing.length > 0) {
    return {
      type: pullSecretsCondition,
      status: 'False',
      reason: 'NamespaceMissing',
      message: `spec.pullSecrets.namespaces names namespaces that do not exist: ${plan.missing.slice(0, 5).join(', ')}`,
    };
  }
  return { type: pullSecretsCondition, status: 'True', reason: 'Distributed', message: `${secretName} is in ${plan.targets.length} namespace(s)` };
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
