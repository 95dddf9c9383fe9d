import { group, version } from '../../api/v1alpha1/resource.ts';
import type { ResourceType } from '../../runtime/resource.ts';

/** The RetentionPolicy kind as the runner reads it from the cluster. */
export const retentionPolicyResource: ResourceType = {
  group,
  version,
  kind: 'RetentionPolicy',
  plural: 'retentionpolicies',
  namespaced: true,
  customResource: true,
};
