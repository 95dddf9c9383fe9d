import { group, version } from '../../api/v1alpha1/resource.ts';
import type { WatchTarget } from '../../runtime/list-watch-source.ts';
import { coreResources, type ResourceType } from '../../runtime/resource.ts';
import { componentLabel, managedBy, managedByLabel, registryNameLabel } from '../common/registry-children.ts';
import { components } from './builders/metadata.ts';

/** The kinds the Registry controller reads and writes. */
export const resources = {
  registries: { group, version, kind: 'Registry', plural: 'registries', namespaced: true, customResource: true },
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  daemonSets: { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  services: { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  secrets: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  claims: { group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true },
  serviceAccounts: { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  ingresses: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', namespaced: true },
  podDisruptionBudgets: { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true },
  pods: { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  jobs: { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true },
  namespaces: coreResources.namespaces,
} as const satisfies Record<string, ResourceType>;

/**
 * The collections the controller caches. Only objects that carry a Registry's label (its own
 * children) or the managed-by label (its Secrets, including copies in other namespaces): a
 * cluster's other Deployments and Secrets are none of its business. Every read of a cache names
 * one of these, so reads and watches share one informer each.
 */
const ownObjects = registryNameLabel;
export const targets = {
  registries: { resource: resources.registries },
  deployments: { resource: resources.deployments, labelSelector: ownObjects },
  daemonSets: { resource: resources.daemonSets, labelSelector: ownObjects },
  services: { resource: resources.services, labelSelector: ownObjects },
  ingresses: { resource: resources.ingresses, labelSelector: ownObjects },
  podDisruptionBudgets: { resource: resources.podDisruptionBudgets, labelSelector: ownObjects },
  claims: { resource: resources.claims, labelSelector: ownObjects },
  // The registry Pods, whose doors the garbage collection asks about the write gate, and the
  // collector Pods, whose logs it reads; the collector Jobs.
  pods: { resource: resources.pods, labelSelector: ownObjects },
  collectorJobs: { resource: resources.jobs, labelSelector: `${ownObjects},${componentLabel}=${components.garbageCollection}` },
  secrets: { resource: resources.secrets, labelSelector: `${managedByLabel}=${managedBy}` },
  serviceAccounts: { resource: resources.serviceAccounts },
  namespaces: { resource: resources.namespaces },
} as const satisfies Record<string, WatchTarget>;
