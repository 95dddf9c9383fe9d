import { group, version } from '../../api/v1alpha1/resource.ts';
import type { WatchTarget } from '../../runtime/list-watch-source.ts';
import { coreResources, type ResourceType } from '../../runtime/resource.ts';
import { reportComponent, reportComponentLabel } from '../../retention/runner/report-configmaps.ts';
import { managedBy, managedByLabel } from '../common/registry-children.ts';
import { retentionComponent } from './names.ts';

/** The kinds the RetentionPolicy controller reads and writes. */
export const resources = {
  retentionPolicies: { group, version, kind: 'RetentionPolicy', plural: 'retentionpolicies', namespaced: true, customResource: true },
  registries: { group, version, kind: 'Registry', plural: 'registries', namespaced: true, customResource: true },
  cronJobs: { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
  jobs: { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true },
  secrets: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  configMaps: coreResources.configMaps,
} as const satisfies Record<string, ResourceType>;

/**
 * What the controller caches. Registries and Dockyard's own Secrets are the same collections the
 * Registry controller caches (one informer each, shared); the CronJobs, Jobs and staged reports
 * live in the jobs namespace only, found by their component label.
 */
export function retentionTargets(jobsNamespace: string) {
  return {
    retentionPolicies: { resource: resources.retentionPolicies },
    registries: { resource: resources.registries },
    secrets: { resource: resources.secrets, labelSelector: `${managedByLabel}=${managedBy}` },
    cronJobs: { resource: resources.cronJobs, namespace: jobsNamespace, labelSelector: `${reportComponentLabel}=${retentionComponent}` },
    jobs: { resource: resources.jobs, namespace: jobsNamespace, labelSelector: `${reportComponentLabel}=${retentionComponent}` },
    stagedReports: { resource: resources.configMaps, namespace: jobsNamespace, labelSelector: `${reportComponentLabel}=${reportComponent}` },
  } as const satisfies Record<string, WatchTarget>;
}
export type RetentionTargets = ReturnType<typeof retentionTargets>;
