import { createHash } from 'node:crypto';

// Names and labels of what a RetentionPolicy's runs are made of. The CronJob, its Jobs and the
// credentials copy live in the operator's (jobs) namespace, where no ownerReference can reach
// the policy: their labels say whose they are.

export const retentionComponent = 'retention';
/** `namespace/name` of the policy, as an annotation: a policy's name may be longer than a label value. */
export const policyAnnotation = 'dockyard.dev/retention-policy';
/** On the CronJob: the run-now value already acted on (started or refused), so each value acts once. */
export const handledRunNowAnnotation = 'dockyard.dev/run-now-handled';
/** On a policy: set to any new value to start one run now. */
export const runNowAnnotation = 'dockyard.dev/run-now';

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/**
 * The CronJob of a policy: `retention-<name>-<hash of namespace/name>`, at most 52 characters
 * (the CronJob controller appends 11 to name its Jobs, which must fit a 63-character label).
 */
export function cronJobName(namespace: string, name: string): string {
  const suffix = `-${hash(`${namespace}/${name}`, 8)}`;
  const stem = `retention-${name}`.slice(0, 52 - suffix.length).replace(/[-.]+$/, '');
  return `${stem}${suffix}`;
}

/** The Job a run-now value starts: deterministic, so a value acts once even across operator restarts. */
export function runNowJobName(cronJob: string, value: string): string {
  return `${cronJob}-now-${hash(value, 6)}`;
}

/** The copy of the registry's retention credentials the Jobs mount. */
export function credentialsSecretName(cronJob: string): string {
  return `${cronJob}-credentials`;
}

/** Where a policy's report lands in its namespace (the first part; more parts add -2, -3...). */
export function reportConfigMapName(policyName: string): string {
  return `${policyName}-retention-report`;
}

export const retentionLabels: Readonly<Record<string, string>> = {
  'app.kubernetes.io/component': retentionComponent,
  'app.kubernetes.io/managed-by': 'dockyard',
};

/** The policy an annotated object in the jobs namespace belongs to. */
export function policyKeyOf(annotations: Record<string, string> | undefined): string | undefined {
  const key = annotations?.[policyAnnotation];
  return key !== undefined && /^[^/]+\/[^/]+$/.test(key) ? key : undefined;
}
