import { group, version } from '../../api/v1alpha1/resource.ts';
import type { WatchTarget } from '../../runtime/list-watch-source.ts';
import { coreResources, type ResourceType } from '../../runtime/resource.ts';
import { managedBy, managedByLabel } from '../common/registry-children.ts';

/** The kinds the ImageRepository controller reads and writes. */
export const resources = {
  imageRepositories: { group, version, kind: 'ImageRepository', plural: 'imagerepositories', namespaced: true, customResource: true },
  registries: { group, version, kind: 'Registry', plural: 'registries', namespaced: true, customResource: true },
  secrets: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  configMaps: coreResources.configMaps,
} as const satisfies Record<string, ResourceType>;

/**
 * What the controller caches. Registries and Dockyard's own Secrets are the same collections the
 * Registry controller caches (identical targets: one informer each, shared).
 */
export const imageRepositoryTargets = {
  imageRepositories: { resource: resources.imageRepositories },
  registries: { resource: resources.registries },
  secrets: { resource: resources.secrets, labelSelector: `${managedByLabel}=${managedBy}` },
} as const satisfies Record<string, WatchTarget>;
