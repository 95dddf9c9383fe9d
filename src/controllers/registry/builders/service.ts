import type { V1Service } from '@kubernetes/client-node';
import type { Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames } from '../../common/registry-children.ts';
import { frontPortName } from '../../../registry-auth/pod-contract.ts';
import { servicePort } from '../../common/registry-endpoints.ts';
import { childMetadata, type ChildObject, components, registryIdentity, selectorLabels } from './metadata.ts';

/**
 * The Service in front of the registry Pods. It targets the auth container's port by name, so
 * the container port can move without touching the Service. A nodePort is declared only when the
 * spec gives one: otherwise Kubernetes allocates it and we must not claim (or fight over) it.
 */
export function registryService(registry: Registry): ChildObject<V1Service> {
  const spec = registry.spec.service;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(registry, {
      name: childNames(registryIdentity(registry).name).workload,
      component: components.registry,
      ...(spec?.annotations !== undefined ? { annotations: spec.annotations } : {}),
    }),
    spec: {
      type: spec?.type ?? 'ClusterIP',
      selector: selectorLabels(registry, components.registry),
      ports: [
        {
          name: frontPortName,
          protocol: 'TCP',
          port: servicePort(registry),
          targetPort: frontPortName,
          ...(spec?.nodePort !== undefined ? { nodePort: spec.nodePort } : {}),
        },
      ],
    },
  };
}
