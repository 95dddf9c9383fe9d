import type { V1Secret } from '@kubernetes/client-node';
import type { Registry } from '../../api/v1alpha1/registry.ts';
import { authSecretData, ensureAuthMaterial, readAuthSecret } from '../../registry-auth/auth-secret.ts';
import { planCredentials, rotateCredentialsAnnotation, type CredentialPlan } from '../../registry-auth/credential-plan.ts';
import { credentialSecretData, credentialSecretType, readCredentialSecret } from '../../registry-auth/credential-secret.ts';
import type { Role } from '../../registry-auth/identities.ts';
import { childMetadata, components, registryIdentity, type ChildObject } from './builders/metadata.ts';
import { childNames } from '../common/registry-children.ts';
import { serializeWriteGate, type WriteGate } from '../../registry-auth/write-gate.ts';
import { authSecretKeys } from '../../registry-auth/pod-contract.ts';

export interface DesiredCredentials {
  /** Token signing key and identities.json; must be written before the credential Secrets. */
  authSecret: ChildObject<V1Secret>;
  /** The push, pull and maintainer Secrets in the Registry's namespace. */
  credentialSecrets: ChildObject<V1Secret>[];
  plan: CredentialPlan;
}

const roleSecretName = (registryName: string): Record<Role, string> => {
  const names = childNames(registryName);
  return { push: names.push, pull: names.pull, maintainer: names.maintainer };
};

/**
 * The Secrets that hold a Registry's credentials, planned from what they hold now (`current`
 * reads the cache). Level-based: with the plan's own output as input, nothing changes until the
 * plan's next deadline. `pullAnnotations` lets the fan-out keep its bookkeeping on the pull
 * Secret when that Secret is also the copy of the Registry's own namespace.
 */
export function desiredCredentials(
  registry: Registry,
  current: (name: string) => V1Secret | undefined,
  options: { hosts: readonly string[]; now: Date; pullAnnotations?: Record<string, string>; writeGate?: WriteGate },
): DesiredCredentials {
  const { name, namespace } = registryIdentity(registry);
  const secretNames = roleSecretName(name);
  const stored = readAuthSecret(current(childNames(name).auth)?.data);
  const plan = planCredentials({
    identities: stored.identities,
    known: {
      push: readCredentialSecret(current(secretNames.push)?.data),
      pull: readCredentialSecret(current(secretNames.pull)?.data),
      maintainer: readCredentialSecret(current(secretNames.maintainer)?.data),
    },
    rotation: registry.spec.auth?.credentialRotation,
    rotationRequest: registry.metadata.annotations?.[rotateCredentialsAnnotation],
    now: options.now,
  });
  const material = ensureAuthMaterial(stored, options.now, `${name}.${namespace} token signing`);
  const authSecret: ChildObject<V1Secret> = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: childMetadata(registry, { name: childNames(name).auth, component: components.registry }),
    data: authSecretData({ ...material, identities: plan.identities, ...(options.writeGate ? { writeGate: options.writeGate } : {}) }),
  };
  const credentialSecrets = (['push', 'pull', 'maintainer'] as const).map(
    (role): ChildObject<V1Secret> => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: credentialSecretType,
      metadata: childMetadata(registry, {
        name: secretNames[role],
        component: role === 'pull' ? components.pullSecret : components.registry,
        ...(role === 'pull' && options.pullAnnotations ? { annotations: options.pullAnnotations } : {}),
      }),
      data: credentialSecretData(plan.credentials[role], options.hosts),
    }),
  );
  return { authSecret, credentialSecrets, plan };
}

/** The auth Secret as computed, holding `gate` instead (none: pushes open): what the garbage collection puts in force or lifts. */
export function withWriteGate(authSecret: ChildObject<V1Secret>, gate: WriteGate | undefined): ChildObject<V1Secret> {
  return { ...authSecret, data: { ...authSecret.data, [authSecretKeys.writeGate]: Buffer.from(serializeWriteGate(gate), 'utf8').toString('base64') } };
}
