import type { Registry } from '../../../api/v1alpha1/registry.ts';
import type { ObjectMeta, ResourceType } from '../../../runtime/resource.ts';
import { childNames } from '../../common/registry-children.ts';
import { serviceDnsNames, type EndpointOptions } from '../../common/registry-endpoints.ts';
import { childMetadata, components, registryIdentity } from './metadata.ts';

/**
 * cert-manager's Certificate. Optional: cert-manager may not be installed, so the reconcile must
 * check for the CRD (and report CertManagerMissing) rather than require it at start-up.
 */
export const certificateResource: ResourceType = {
  group: 'cert-manager.io',
  version: 'v1',
  kind: 'Certificate',
  plural: 'certificates',
  namespaced: true,
  customResource: true,
};

/** The part of cert-manager.io/v1 Certificate we write; cert-manager's types are not a dependency. */
export interface Certificate {
  apiVersion: 'cert-manager.io/v1';
  kind: 'Certificate';
  metadata: ObjectMeta;
  spec: {
    secretName: string;
    dnsNames: string[];
    issuerRef: { name: string; kind: string; group: string };
  };
  [field: string]: unknown;
}

/** The name of the kubernetes.io/tls Secret the registry serves with, whichever way it is made. */
export function tlsSecretName(registry: Registry): string | undefined {
  const tls = registry.spec.tls;
  if (tls === undefined) return undefined;
  return tls.secretName ?? childNames(registryIdentity(registry).name).certificate;
}

/**
 * The Certificate for spec.tls.issuerRef, or undefined without one. It covers every name of the
 * Service (clients in the cluster verify whichever they used) and the ingress host (for an
 * Ingress that passes TLS through). cert-manager writes the key pair into the Secret the
 * Deployment mounts at paths.tlsDir.
 */
export function registryCertificate(registry: Registry, options: EndpointOptions = {}): Certificate | undefined {
  const issuerRef = registry.spec.tls?.issuerRef;
  if (issuerRef === undefined) return undefined;
  const name = childNames(registryIdentity(registry).name).certificate;
  const ingressHost = registry.spec.ingress?.host;
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: childMetadata(registry, { name, component: components.tls }),
    spec: {
      secretName: name,
      dnsNames: [...serviceDnsNames(registry, options), ...(ingressHost !== undefined ? [ingressHost] : [])],
      issuerRef: { name: issuerRef.name, kind: issuerRef.kind, group: issuerRef.group },
    },
  };
}
