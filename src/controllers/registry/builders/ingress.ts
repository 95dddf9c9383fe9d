import type { V1Ingress } from '@kubernetes/client-node';
import type { Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames } from '../../common/registry-children.ts';
import { frontPortName } from '../../../registry-auth/pod-contract.ts';
import { childMetadata, type ChildObject, components, registryIdentity } from './metadata.ts';

/**
 * The Ingress for spec.ingress, or undefined without one. Everything under the host goes to the
 * Service (the auth container answers /v2/ and the token path alike).
 *
 * Controller-specific needs are the user's annotations, because only they know their controller:
 * a body size limit large enough for image layers (nginx: proxy-body-size "0"), and, when the
 * registry itself serves TLS (spec.tls), the backend protocol (nginx: backend-protocol "HTTPS").
 */
export function registryIngress(registry: Registry): ChildObject<V1Ingress> | undefined {
  const ingress = registry.spec.ingress;
  if (ingress === undefined) return undefined;
  const names = childNames(registryIdentity(registry).name);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: childMetadata(registry, {
      name: names.ingress,
      component: components.registry,
      ...(ingress.annotations !== undefined ? { annotations: ingress.annotations } : {}),
    }),
    spec: {
      ...(ingress.className !== undefined ? { ingressClassName: ingress.className } : {}),
      ...(ingress.tlsSecretName !== undefined ? { tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }] } : {}),
      rules: [
        {
          host: ingress.host,
          http: {
            paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: names.workload, port: { name: frontPortName } } } }],
          },
        },
      ],
    },
  };
}
