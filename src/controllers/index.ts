import type { ControllerDefinition } from '../runtime/controller.ts';
import type { RegistryControllerOptions } from './registry/options.ts';
import { imageRepositoryController } from './image-repository/controller.ts';
import { registryController } from './registry/controller.ts';
import { retentionPolicyController, type RetentionPolicyControllerOptions } from './retention-policy/controller.ts';

/** The settings `dockyard operator` passes to the product controllers (its flags). */
export type ProductControllerOptions = RegistryControllerOptions & Pick<RetentionPolicyControllerOptions, 'jobsNamespace' | 'jobsServiceAccount'>;

/**
 * The controllers `dockyard operator` runs. Each product controller adds itself here; tests and
 * fixtures may run a different list.
 */
export function productControllers(options: ProductControllerOptions): ControllerDefinition[] {
  return [registryController(options), retentionPolicyController(options), imageRepositoryController(options)];
}
