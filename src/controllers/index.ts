import type { ControllerDefinition } from '../runtime/controller.ts';

/**
 * The controllers `dockyard operator` runs. Each product controller adds itself here (wrapped in
 * defineController); with none, the operator still runs leader election, health and metrics.
 */
export const controllers: ControllerDefinition[] = [];
