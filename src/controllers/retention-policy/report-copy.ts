import type { KubeClient } from '../../runtime/kube-client.ts';
import type { ApplyResult } from '../../runtime/apply.ts';
import type { KubeObject, ResourceType } from '../../runtime/resource.ts';
import { isNotFound } from '../../runtime/errors.ts';
import {
  reportComponent,
  reportComponentLabel,
  reportJobLabel,
  reportPartAnnotation,
  reportPartName,
  type RunRecord,
} from '../../retention/runner/report-configmaps.ts';
import { policyAnnotation, reportConfigMapName } from './names.ts';
import { resources } from './resources.ts';

interface ConfigMapLike extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface ReportCopyInputs {
  jobsNamespace: string;
  jobName: string;
  record: RunRecord;
  policy: { namespace: string; name: string; uid: string };
  client: KubeClient;
  apply: <U extends KubeObject>(resource: ResourceType, desired: U) => Promise<ApplyResult<U>>;
  signal: AbortSignal;
}

/**
 * Copies a run's report from the jobs namespace into the policy's, where the tenant reads it:
 * `<policy>-retention-report` (and -2, -3... when it spans several), owned by the policy, each
 * run replacing the last; parts a smaller report no longer needs are deleted. Returns the first
 * part's name, or undefined when a staged part has gone (its Job was cleaned up first).
 */
export async function copyReport(inputs: ReportCopyInputs): Promise<string | undefined> {
  const { policy, record } = inputs;
  const base = reportConfigMapName(policy.name);
  const policyKey = `${policy.namespace}/${policy.name}`;
  const parts = Math.max(record.parts, 1);
  for (let index = 1; index <= parts; index++) {
    let staged: ConfigMapLike;
    try {
      staged = await inputs.client.get<ConfigMapLike>(
        resources.configMaps,
        { namespace: inputs.jobsNamespace, name: reportPartName(`${inputs.jobName}-report`, index) },
        inputs.signal,
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const copy: ConfigMapLike = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: reportPartName(base, index),
        namespace: policy.namespace,
        labels: { [reportComponentLabel]: reportComponent, [reportJobLabel]: inputs.jobName, 'app.kubernetes.io/managed-by': 'dockyard' },
        annotations: { [policyAnnotation]: policyKey, [reportPartAnnotation]: String(index) },
        ownerReferences: [{ apiVersion: 'dockyard.dev/v1alpha1', kind: 'RetentionPolicy', name: policy.name, uid: policy.uid }],
      },
      // Server-side apply replaces the fields we own, so keys of the previous run's report go.
      data: staged.data ?? {},
      binaryData: staged.binaryData ?? {},
    };
    await inputs.apply(resources.configMaps, copy);
  }
  await deleteExtraParts(inputs, policyKey, parts);
  return base;
}

async function deleteExtraParts(inputs: ReportCopyInputs, policyKey: string, parts: number): Promise<void> {
  const existing = await inputs.client.list<ConfigMapLike>(resources.configMaps, {
    namespace: inputs.policy.namespace,
    labelSelector: `${reportComponentLabel}=${reportComponent}`,
    signal: inputs.signal,
  });
  for (const configMap of existing.items) {
    const annotations = configMap.metadata?.annotations ?? {};
    if (annotations[policyAnnotation] !== policyKey || Number(annotations[reportPartAnnotation]) <= parts) continue;
    try {
      await inputs.client.delete(resources.configMaps, { namespace: inputs.policy.namespace, name: configMap.metadata?.name ?? '' });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
