import type { V1EnvVar, V1Job, V1PodSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { defaultRegistryImage, type Registry } from '../../../api/v1alpha1/registry.ts';
import { paths } from '../../../registry-auth/pod-contract.ts';
import { childNames, collectorJobName, collectorPhaseLabel, collectorRunLabel, containerNames, type CollectorPhase } from '../../common/registry-children.ts';
import { childLabels, childMetadata, type ChildObject, components, registryIdentity } from '../builders/metadata.ts';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../common/pod-security.ts';
import { storageVolume, storageVolumeName } from '../builders/storage.ts';
import { registryEnvironment } from '../config.ts';

/**
 * The Job that runs `registry garbage-collect` on a registry's storage: the registry's own image
 * and its own config.yml (the config Secret the Deployment mounts, so the collector sees exactly
 * the storage the registry serves), the storage volume mounted the same way, and the env that
 * carries the storage credentials. Never `--quiet`, which hides the summary line the operator
 * reads back (collector-output.ts).
 *
 * A ReadWriteOnce claim is attached to one node: the Job goes to the node of the registry Pod
 * (`nodeName`, which also skips the scheduler, so the Job cannot wait on a volume the scheduler
 * thinks is taken). s3 and ReadWriteMany storage can be collected from anywhere.
 */
export interface CollectorJobInputs {
  phase: CollectorPhase;
  /** The run's short id (see collectorJobName). */
  run: string;
  deleteUntagged: boolean;
  /** The node of the registry Pod, for a ReadWriteOnce claim. */
  nodeName?: string;
  /** The Job's deadline: what is left of maxReadOnlyDuration when it starts. */
  activeDeadlineSeconds: number;
}

const volumeNames = { config: 'config', tmp: 'tmp' } as const;

export function collectorArgs(phase: CollectorPhase, deleteUntagged: boolean): string[] {
  // The official images' /entrypoint.sh turns `garbage-collect ...` into `registry garbage-collect ...`.
  return ['garbage-collect', ...(phase === 'dry-run' ? ['--dry-run'] : []), ...(deleteUntagged ? ['--delete-untagged'] : []), paths.configFile];
}

/** How long a finished collector Job, its Pod and its log stay. */
export const collectorJobTtlSeconds = 24 * 60 * 60;

export function collectorJob(registry: Registry, inputs: CollectorJobInputs): ChildObject<V1Job> {
  const { name } = registryIdentity(registry);
  const metadata = childMetadata(registry, { name: collectorJobName(name, inputs.run, inputs.phase), component: components.garbageCollection });
  const runLabels = { [collectorRunLabel]: inputs.run, [collectorPhaseLabel]: inputs.phase };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...metadata, labels: { ...metadata.labels, ...runLabels } },
    spec: {
      // The sequence decides what a failure means (lift the gate, report); a retry would only
      // spend the maintenance window.
      backoffLimit: 0,
      activeDeadlineSeconds: Math.max(1, Math.floor(inputs.activeDeadlineSeconds)),
      // The operator reads the report from the log seconds after the Job ends; a day leaves time
      // to read it by hand the next morning, and keeps a daily schedule to a few Jobs.
      ttlSecondsAfterFinished: collectorJobTtlSeconds,
      template: {
        metadata: { labels: { ...childLabels(registry, components.garbageCollection), ...runLabels } },
        spec: collectorPodSpec(registry, inputs),
      },
    },
  };
}

function collectorPodSpec(registry: Registry, inputs: CollectorJobInputs): V1PodSpec {
  const { name } = registryIdentity(registry);
  const storage = storageVolume(registry);
  const env: V1EnvVar[] = registryEnvironment(registry.spec, { name, notifications: false })
    // The collector serves nothing: the http secret is not its business.
    .filter((variable) => variable.name !== 'REGISTRY_HTTP_SECRET')
    .map((variable) => ({ name: variable.name, valueFrom: { secretKeyRef: { name: variable.secretName, key: variable.key } } }));
  const mounts: V1VolumeMount[] = [
    { name: volumeNames.config, mountPath: paths.configDir, readOnly: true },
    ...(storage !== undefined ? [{ name: storageVolumeName, mountPath: paths.storage }] : []),
    { name: volumeNames.tmp, mountPath: paths.tmp },
  ];
  const volumes: V1Volume[] = [
    { name: volumeNames.config, secret: { secretName: childNames(name).config, defaultMode: 0o440 } },
    ...(storage !== undefined ? [storage] : []),
    { name: volumeNames.tmp, emptyDir: {} },
  ];
  const placement = registry.spec.placement;
  return {
    restartPolicy: 'Never',
    securityContext: restrictedPodSecurityContext(),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    ...(inputs.nodeName !== undefined
      ? { nodeName: inputs.nodeName }
      : placement?.nodeSelector !== undefined && Object.keys(placement.nodeSelector).length > 0
        ? { nodeSelector: placement.nodeSelector }
        : {}),
    // The registry's tolerations: the node it runs on may be tainted for it.
    ...(placement?.tolerations !== undefined && placement.tolerations.length > 0 ? { tolerations: placement.tolerations } : {}),
    containers: [
      {
        name: containerNames.collector,
        image: registry.spec.image ?? defaultRegistryImage,
        args: collectorArgs(inputs.phase, inputs.deleteUntagged),
        ...(env.length > 0 ? { env } : {}),
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: mounts,
      },
    ],
    volumes,
  };
}
