import { coreResources, type KubeObject } from '../../runtime/resource.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { RetentionReport } from '../report.ts';
import { reportComponent, reportComponentLabel, reportJobLabel, reportPartAnnotation, reportPartName, reportParts } from './report-configmaps.ts';
import type { RetentionRunSummary } from './run.ts';

export interface ReportOwner {
  job: string;
  uid: string;
  namespace: string;
}

/**
 * Leaves the run's summary and report as ConfigMaps owned by its Job, in the Job's namespace
 * (`<job>-report`, `<job>-report-2`, ...). Create only: the run's identity may create ConfigMaps
 * there and nothing else, so it cannot change what is already there. They go when the Job goes.
 * Returns how many it created.
 */
export async function stageReport(cluster: KubeClient, owner: ReportOwner, summary: RetentionRunSummary, report: RetentionReport | undefined): Promise<number> {
  const parts = reportParts(summary, report);
  // The last part first: the operator acts when the first one appears, and must find them all.
  for (let index = parts.length; index >= 1; index--) {
    const part = parts[index - 1]!;
    const configMap: KubeObject & typeof part = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: reportPartName(`${owner.job}-report`, index),
        namespace: owner.namespace,
        labels: { [reportComponentLabel]: reportComponent, [reportJobLabel]: owner.job, 'app.kubernetes.io/managed-by': 'dockyard' },
        annotations: { [reportPartAnnotation]: String(index) },
        // No blockOwnerDeletion: setting it needs delete rights on the Job, which the run has not.
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: owner.job, uid: owner.uid }],
      },
      ...part,
    };
    await cluster.create(coreResources.configMaps, configMap, { fieldManager: 'dockyard-retention' });
  }
  return parts.length;
}
