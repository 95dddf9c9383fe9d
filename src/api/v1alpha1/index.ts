import { imageRepositoryKind } from './image-repository.ts';
import { registryKind } from './registry.ts';
import type { KindDefinition } from './resource.ts';
import { retentionPolicyKind } from './retention-policy.ts';

export * from './common.ts';
export * from './image-repository.ts';
export * from './registry.ts';
export * from './resource.ts';
export * from './retention-policy.ts';

/** Every kind of dockyard.dev/v1alpha1, in the order their CRDs are written. */
export const kinds: readonly KindDefinition[] = [registryKind, imageRepositoryKind, retentionPolicyKind];

/** The definition of a kind by its name, such as Registry; undefined for kinds of other APIs. */
export function kindNamed(name: string): KindDefinition | undefined {
  return kinds.find((kind) => kind.kind === name);
}
