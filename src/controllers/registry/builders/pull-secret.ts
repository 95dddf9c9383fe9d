import type { V1Secret } from '@kubernetes/client-node';
import type { Registry } from '../../../api/v1alpha1/registry.ts';
import type { Credential } from '../../../registry-auth/credential-plan.ts';
import { credentialSecretType, dockerConfigJson } from '../../../registry-auth/credential-secret.ts';
import { controllerReference } from '../../../runtime/owner-references.ts';
import { childNames, componentLabel, managedBy, managedByLabel, registryNameLabel } from '../../common/registry-children.ts';
import { credentialSecretKeys } from '../../../registry-auth/pod-contract.ts';
import { components, instanceLabel, registryIdentity, sourceNamespaceLabel, type ChildObject } from './metadata.ts';

/** The pull Secret's name in every namespace that receives it. */
export function pullSecretName(registry: Registry): string {
  return registry.spec.pullSecrets?.secretName ?? childNames(registryIdentity(registry).name).pull;
}

/** The labels that find every copy of one Registry's pull Secret, in all namespaces. */
export function pullSecretSelector(registry: Registry): Record<string, string> {
  const { name, namespace } = registryIdentity(registry);
  return { [registryNameLabel]: name, [sourceNamespaceLabel]: namespace };
}

/**
 * A fanned-out copy of the pull Secret (kubernetes.io/dockerconfigjson) for `namespace`: the
 * published pull credential under every host of endpoints(registry).hosts, and nothing else. The
 * source, childNames().pull in the Registry's own namespace, is the credential Secret of
 * src/registry-auth/credential-secret.ts; it also holds username, password and, during a
 * rotation, the staged credential, none of which may spread. So there is no copy (undefined)
 * where the source itself is what the namespace would get: the Registry's own namespace under the
 * default name.
 *
 * Values go in `data` (base64), not `stringData`: the apiserver stores only `data`, and a desired
 * `stringData` would never be seen as applied. Only a copy in the Registry's own namespace can
 * carry the Registry as controller owner (ownerReferences cannot cross namespaces); copies
 * elsewhere are found by pullSecretSelector() and removed by the fan-out itself.
 */
export function pullSecretCopy(
  registry: Registry,
  options: { namespace: string; hosts: readonly string[]; credential: Credential },
): ChildObject<V1Secret> | undefined {
  const source = registryIdentity(registry);
  const ownNamespace = options.namespace === source.namespace;
  const name = pullSecretName(registry);
  if (ownNamespace && name === childNames(source.name).pull) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: credentialSecretType,
    metadata: {
      name,
      namespace: options.namespace,
      labels: {
        ...pullSecretSelector(registry),
        [componentLabel]: components.pullSecret,
        [instanceLabel]: source.name,
        [managedByLabel]: managedBy,
      },
      ...(ownNamespace ? { ownerReferences: [controllerReference(registry)] } : {}),
    },
    data: {
      [credentialSecretKeys.dockerConfig]: Buffer.from(dockerConfigJson(options.hosts, options.credential)).toString('base64'),
    },
  };
}
