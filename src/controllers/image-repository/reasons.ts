/**
 * Every condition type and reason an ImageRepository's status can carry. The status code uses
 * these constants, and docs/troubleshooting.md lists them from `imageRepositoryReasonGuide` (make docs).
 */

export const imageRepositoryConditionTypes = { ready: 'Ready', degraded: 'Degraded' } as const;

export const imageRepositoryReasons = {
  found: 'Found',
  notFound: 'NotFound',
  asExpected: 'AsExpected',
  invalidSpec: 'InvalidSpec',
  registryNotFound: 'RegistryNotFound',
  registryNotReady: 'RegistryNotReady',
  secretMissing: 'SecretMissing',
  unauthorized: 'Unauthorized',
  unreachable: 'Unreachable',
  registryError: 'RegistryError',
} as const;

export type ImageRepositoryReason = (typeof imageRepositoryReasons)[keyof typeof imageRepositoryReasons];

export interface ImageRepositoryReasonGuide {
  conditions: string[];
  meaning: string;
  action: string;
}

export const imageRepositoryReasonGuide: Readonly<Record<ImageRepositoryReason, ImageRepositoryReasonGuide>> = {
  Found: {
    conditions: ['Ready=True'],
    meaning: 'The registry answers for the repository; tagCount, sizeBytes and (where the registry keeps push records) lastPushTime are current.',
    action: '',
  },
  NotFound: {
    conditions: ['Ready=False', 'Degraded=False'],
    meaning:
      'The registry has no such repository yet (nothing was pushed to it, or every tag was deleted). Not an error: it becomes Ready after the first push.',
    action: 'Push an image to the repository, or check spec.repository for a typo.',
  },
  AsExpected: { conditions: ['Degraded=False'], meaning: 'Nothing needs attention.', action: '' },
  InvalidSpec: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The spec cannot be read (the message names the field).',
    action: 'Fix the field the message names.',
  },
  RegistryNotFound: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'spec.registryRef names a Registry that does not exist in this namespace.',
    action: 'Create the Registry, or delete the ImageRepository.',
  },
  RegistryNotReady: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The Registry exists but is not Ready, so the repository is not read; the last figures stay in the status.',
    action: 'kubectl describe registry NAME: its conditions say why.',
  },
  SecretMissing: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning:
      "A Secret or ConfigMap needed to read the registry (the Registry's maintainer Secret, an external Registry's credentials or CA bundle) is missing or lacks the key the message names.",
    action: 'Create it with the named keys; for a Registry Dockyard runs, its controller recreates the maintainer Secret.',
  },
  Unauthorized: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The registry refused the credentials (HTTP 401 or 403); the message names the request.',
    action: "Check the Registry's credentials (spec.external.credentialsSecretRef for an external one).",
  },
  Unreachable: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The registry did not answer (connection refused, timed out, name not resolved, TLS failure); the message says which.',
    action: "Check the Registry's address and that the operator can reach it (NetworkPolicy, DNS, CA bundle).",
  },
  RegistryError: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The registry answered something unexpected (a 5xx after retries, a manifest that does not match its digest); the message quotes it.',
    action: 'Read the message and the registry logs; the next refresh tries again.',
  },
};
