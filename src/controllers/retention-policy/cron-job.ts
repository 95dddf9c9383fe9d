import type { V1CronJob, V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { RetentionPolicySpec } from '../../api/v1alpha1/retention-policy.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../common/pod-security.ts';
import { handledRunNowAnnotation, policyAnnotation, retentionLabels } from './names.ts';

/** Where the credentials copy is mounted in the run's container. */
export const credentialsMountPath = '/var/run/dockyard/retention';

/**
 * What a run needs at 100,000 tags (docs/retention.md, "Sizing a run"): the snapshot, the
 * decisions and the report's JSON are in memory at once. Node sizes its heap from the limit.
 */
export const defaultRunResources = { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '768Mi' } } as const;
/** A run that takes longer than this is stopped, unless the policy says otherwise. */
export const defaultActiveDeadlineSeconds = 3600;
/**
 * A scheduled run that could not start within this long (controller-manager down, a run still
 * active under Forbid) is skipped, not started late; it also keeps the CronJob controller from
 * giving up after 100 missed schedules.
 */
export const startingDeadlineSeconds = 900;

export interface RetentionJobInputs {
  policy: { namespace: string; name: string; spec: RetentionPolicySpec };
  cronJobName: string;
  jobsNamespace: string;
  image: string;
  serviceAccountName: string;
  /** The registry's API as the run reaches it, and every name images reference it by. */
  registry: { url: string; hosts: readonly string[] };
  credentialsSecretName: string;
  /** The run-now value already acted on, kept on the CronJob. */
  handledRunNow?: string;
}

export type RetentionCronJob = KubeObject & Pick<V1CronJob, 'spec'>;

/**
 * The CronJob of a policy, in the jobs namespace. Kubernetes' CronJob controller does the
 * scheduling (time zones, missed runs, concurrency, history), as users of scheduled work expect.
 */
export function retentionCronJob(inputs: RetentionJobInputs): RetentionCronJob {
  const { policy } = inputs;
  const spec = policy.spec;
  const policyKey = `${policy.namespace}/${policy.name}`;
  const metadata = { labels: { ...retentionLabels }, annotations: { [policyAnnotation]: policyKey } };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: inputs.cronJobName,
      namespace: inputs.jobsNamespace,
      labels: { ...retentionLabels },
      annotations: { [policyAnnotation]: policyKey, ...(inputs.handledRunNow !== undefined ? { [handledRunNowAnnotation]: inputs.handledRunNow } : {}) },
    },
    spec: {
      schedule: spec.schedule,
      ...(spec.timeZone !== undefined ? { timeZone: spec.timeZone } : {}),
      suspend: spec.suspend,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds,
      successfulJobsHistoryLimit: spec.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: spec.failedJobsHistoryLimit,
      jobTemplate: {
        metadata,
        spec: {
          // A failed run is reported and waits for the next schedule: retrying at once would
          // repeat whatever made it fail, against a registry that may be struggling.
          backoffLimit: 0,
          activeDeadlineSeconds: spec.job?.activeDeadlineSeconds ?? defaultActiveDeadlineSeconds,
          template: { metadata, spec: runPodSpec(inputs) },
        },
      },
    },
  };
}

function runPodSpec(inputs: RetentionJobInputs): V1PodSpec {
  const placement = inputs.policy.spec.job?.placement;
  return {
    serviceAccountName: inputs.serviceAccountName,
    restartPolicy: 'Never',
    securityContext: restrictedPodSecurityContext(),
    // Service links would fill the environment with every Service of the namespace.
    enableServiceLinks: false,
    containers: [runContainer(inputs)],
    volumes: [{ name: 'credentials', secret: { secretName: inputs.credentialsSecretName, defaultMode: 0o440 } }],
    ...(placement?.nodeSelector !== undefined ? { nodeSelector: placement.nodeSelector } : {}),
    ...(placement?.tolerations !== undefined ? { tolerations: placement.tolerations as V1PodSpec['tolerations'] } : {}),
    ...(placement?.affinity !== undefined ? { affinity: placement.affinity as V1PodSpec['affinity'] } : {}),
  };
}

/** The run's arguments; $(VAR) is expanded by the kubelet from the container's environment. */
export function runArgs(inputs: Pick<RetentionJobInputs, 'policy' | 'registry'>): string[] {
  return [
    'retention',
    'run',
    '--policy',
    `${inputs.policy.namespace}/${inputs.policy.name}`,
    '--registry',
    inputs.registry.url,
    ...inputs.registry.hosts.flatMap((host) => ['--registry-host', host]),
    '--credentials-dir',
    credentialsMountPath,
    '--report-job',
    '$(JOB_NAME)',
    '--report-job-uid',
    '$(JOB_UID)',
    '--report-namespace',
    '$(POD_NAMESPACE)',
  ];
}

function runContainer(inputs: RetentionJobInputs): V1Container {
  const resources = inputs.policy.spec.job?.resources ?? defaultRunResources;
  const label = (key: string) => ({ valueFrom: { fieldRef: { fieldPath: `metadata.labels['${key}']` } } });
  return {
    name: 'retention',
    image: inputs.image,
    args: runArgs(inputs),
    env: [
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      // The Job controller labels its Pods with the Job's name and uid.
      { name: 'JOB_NAME', ...label('batch.kubernetes.io/job-name') },
      { name: 'JOB_UID', ...label('batch.kubernetes.io/controller-uid') },
    ],
    resources: resources as V1Container['resources'],
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [{ name: 'credentials', mountPath: credentialsMountPath, readOnly: true }],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}
