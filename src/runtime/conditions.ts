import { kubeTime } from './kube-time.ts';

/** A standard Kubernetes condition (metav1.Condition). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ConditionUpdate = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/**
 * Returns `conditions` with `update` set, leaving the input untouched. `lastTransitionTime`
 * changes only when the status flips, so a reconcile that recomputes the same conditions produces
 * an identical status (and the status writer can skip the write). Order is kept; a new type goes
 * last.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  options: { observedGeneration?: number; now?: Date } = {},
): Condition[] {
  const existing = conditions?.find((condition) => condition.type === update.type);
  const next: Condition = {
    ...update,
    lastTransitionTime: existing !== undefined && existing.status === update.status ? existing.lastTransitionTime : kubeTime(options.now ?? new Date()),
    ...(options.observedGeneration !== undefined ? { observedGeneration: options.observedGeneration } : {}),
  };
  if (existing === undefined) return [...(conditions ?? []), next];
  return (conditions ?? []).map((condition) => (condition === existing ? next : condition));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}
