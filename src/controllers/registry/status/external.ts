import type { RegistryStatus } from '../../../api/v1alpha1/registry.ts';
import type { ConditionUpdate } from '../../../runtime/conditions.ts';
import { conditionTypes, degradedReasons, progressReasons } from './reasons.ts';

/** What the reconcile learned of a registry that runs elsewhere. */
export type ExternalObservation =
  | { kind: 'secret-missing'; secretName: string }
  | { kind: 'probed'; reachable: true; message: string }
  | { kind: 'probed'; reachable: false; reason: 'Unreachable' | 'Unauthorized' | 'UnexpectedStatus'; message: string };

/**
 * The phase and conditions of an external registry: Ready when a client with its credentials
 * gets through, Degraded with the HTTP status (or the missing Secret) when not. Progressing is
 * always False: nothing of it is Dockyard's to roll out.
 */
export function deriveExternalStatus(observation: ExternalObservation): { phase: NonNullable<RegistryStatus['phase']>; conditions: ConditionUpdate[] } {
  const progressing: ConditionUpdate = {
    type: conditionTypes.progressing,
    status: 'False',
    reason: progressReasons.external,
    message: 'Dockyard runs nothing for an external registry',
  };
  if (observation.kind === 'probed' && observation.reachable) {
    return {
      phase: 'Ready',
      conditions: [
        { type: conditionTypes.ready, status: 'True', reason: progressReasons.reachable, message: observation.message },
        progressing,
        { type: conditionTypes.degraded, status: 'False', reason: progressReasons.asExpected, message: 'nothing needs attention' },
      ],
    };
  }
  const problem =
    observation.kind === 'secret-missing'
      ? {
          reason: degradedReasons.secretMissing,
          message: `spec.external.credentialsSecretRef: Secret ${observation.secretName} with keys username and password not found`,
        }
      : { reason: degradedReasons[externalReasonKeys[observation.reason]], message: observation.message };
  return {
    phase: 'Degraded',
    conditions: [{ type: conditionTypes.ready, status: 'False', ...problem }, progressing, { type: conditionTypes.degraded, status: 'True', ...problem }],
  };
}

const externalReasonKeys = { Unreachable: 'unreachable', Unauthorized: 'unauthorized', UnexpectedStatus: 'unexpectedStatus' } as const;
