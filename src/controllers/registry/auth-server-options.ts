import { join } from 'node:path';
import type { RegistrySpec } from '../../api/v1alpha1/registry.ts';
import { authServerDefaults, type AuthServerOptions } from '../../auth-server/options.ts';
import { authSecretKeys, paths, tokenService } from '../../registry-auth/pod-contract.ts';

/** The auth container's options for a Registry, with the files where the Pod mounts them (registry-auth/pod-contract.ts). */
export function authServerOptionsFor(spec: RegistrySpec, namespace: string, name: string): AuthServerOptions {
  return {
    ...authServerDefaults,
    identitiesFile: join(paths.authDir, authSecretKeys.identities),
    signingKeyFile: join(paths.authDir, authSecretKeys.signingKey),
    signingCertificateFile: join(paths.authDir, authSecretKeys.signingCertificate),
    writeGateFile: join(paths.authDir, authSecretKeys.writeGate),
    service: tokenService(namespace, name),
    anonymousPull: spec.auth?.anonymousPull ?? false,
    recordsDir: paths.pushRecords,
    // kubernetes.io/tls Secrets (and cert-manager's) hold tls.crt and tls.key.
    ...(spec.tls ? { tls: { certificateFile: join(paths.tlsDir, 'tls.crt'), keyFile: join(paths.tlsDir, 'tls.key') } } : {}),
  };
}
