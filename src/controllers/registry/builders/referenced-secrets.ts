import type { Registry } from '../../../api/v1alpha1/registry.ts';

/** A Secret the user named in the spec, and the field that names it (for messages). */
export interface SecretUse {
  name: string;
  field: string;
}

/**
 * The user's Secrets a Registry depends on, all in its own namespace. A missing one keeps Pods
 * from starting (volumes, secretKeyRef env) or serves the wrong certificate (Ingress), so the
 * status names each one. The Secrets Dockyard makes itself, and the one cert-manager issues, are
 * not here: their absence means "not yet", not "fix your spec".
 */
export function referencedSecrets(registry: Registry): SecretUse[] {
  const spec = registry.spec;
  const uses: (SecretUse | undefined)[] = [
    spec.tls?.secretName !== undefined ? { name: spec.tls.secretName, field: 'spec.tls.secretName' } : undefined,
    spec.storage?.s3 !== undefined ? { name: spec.storage.s3.credentialsSecretRef.name, field: 'spec.storage.s3.credentialsSecretRef' } : undefined,
    spec.proxy?.credentialsSecretRef !== undefined ? { name: spec.proxy.credentialsSecretRef.name, field: 'spec.proxy.credentialsSecretRef' } : undefined,
    spec.ingress?.tlsSecretName !== undefined ? { name: spec.ingress.tlsSecretName, field: 'spec.ingress.tlsSecretName' } : undefined,
    spec.external?.credentialsSecretRef !== undefined
      ? { name: spec.external.credentialsSecretRef.name, field: 'spec.external.credentialsSecretRef' }
      : undefined,
    spec.external?.caBundleRef?.kind === 'Secret' ? { name: spec.external.caBundleRef.name, field: 'spec.external.caBundleRef' } : undefined,
  ];
  return uses.filter((use) => use !== undefined);
}
