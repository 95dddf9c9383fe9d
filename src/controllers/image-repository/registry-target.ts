import type { Registry } from '../../api/v1alpha1/registry.ts';
import { readAccessCredentials, registryAccess, type AccessCredentials, type RegistryAccess, type SourceReading } from '../common/registry-access.ts';
import { imageRepositoryReasons, type ImageRepositoryReason } from './reasons.ts';

/** How the controller reads a Registry: its API address, the identity, and whether its door keeps push records. */
export interface ReadTarget extends Pick<RegistryAccess, 'url' | 'credentials' | 'ca' | 'ready'> {
  /** A registry Dockyard runs: its door serves push records to the maintainer identity. */
  pushRecords: boolean;
}

export interface TargetProblem {
  reason: ImageRepositoryReason;
  message: string;
}

export type ReadCredentials = AccessCredentials;

/**
 * A managed Registry is read at its Service's full name with its maintainer identity (the only
 * one that may list push records); an external one at its URL with the credentials it names,
 * which are only read with.
 */
export function readTarget(registry: Registry | undefined, registryName: string, clusterDomain: string): ReadTarget | TargetProblem {
  if (registry === undefined) {
    return { reason: imageRepositoryReasons.registryNotFound, message: `spec.registryRef: Registry ${registryName} does not exist in this namespace` };
  }
  const { url, credentials, ca, ready, managed } = registryAccess(registry, 'read', clusterDomain);
  return { url, ...(credentials ? { credentials } : {}), ...(ca ? { ca } : {}), ready, pushRecords: managed };
}

export function isTargetProblem(value: ReadTarget | TargetProblem): value is TargetProblem {
  return 'reason' in value;
}

/** The credentials and CA as text. */
export function readCredentials(target: ReadTarget, reading: SourceReading): Promise<ReadCredentials> {
  return readAccessCredentials(target, reading);
}
