import { createHash } from 'node:crypto';
import type { V1EnvVar, V1Secret } from '@kubernetes/client-node';
import type { Registry } from '../../api/v1alpha1/registry.ts';
import { authServerArgs, authServerOptionsFor } from '../../auth-server/options.ts';
import type { KubeObject, ResourceType } from '../../runtime/resource.ts';
import { registryDeployment } from './builders/deployment.ts';
import { registryIngress } from './builders/ingress.ts';
import { childMetadata, components, registryIdentity } from './builders/metadata.ts';
import { nodeProxyDaemonSet } from './builders/node-proxy-daemon-set.ts';
import { persistentVolumeClaim } from './builders/persistent-volume-claim.ts';
import { registryService } from './builders/service.ts';
import { registryEnvironment, renderRegistryConfig } from './config.ts';
import { authSecretKeys, childNames } from './layout.ts';
import type { RegistryControllerOptions } from './options.ts';
import { resources } from './resources.ts';

export interface DesiredChild {
  resource: ResourceType;
  object: KubeObject;
}

/**
 * The objects that run a registry, in the order they are applied: the config first, the claim
 * before the Pods that mount it, the Deployment after everything it references. Pure.
 * `signingCertificate` is the auth Secret's certificate (base64), read only at distribution's
 * start, so it is part of the checksum that rolls the Pods.
 */
export function desiredWorkload(registry: Registry, options: RegistryControllerOptions, signingCertificate: string): DesiredChild[] {
  const { name, namespace } = registryIdentity(registry);
  const configYaml = renderRegistryConfig(registry.spec, { namespace, name });
  const environment = registryEnvironment(registry.spec, { name, notifications: false });
  const registryEnv: V1EnvVar[] = environment.map((variable) => ({
    name: variable.name,
    valueFrom: { secretKeyRef: { name: variable.secretName, key: variable.key } },
  }));
  const configChecksum = createHash('sha256')
    .update(configYaml)
    .update(JSON.stringify(environment))
    .update(signingCertificate)
    .digest('hex')
    .slice(0, 32);
  const config: V1Secret & KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: childMetadata(registry, { name: childNames(name).config, component: components.registry }),
    data: { 'config.yml': Buffer.from(configYaml).toString('base64') },
  };
  const claim = persistentVolumeClaim(registry);
  const nodeProxy = nodeProxyDaemonSet(registry, { operatorImage: options.operatorImage }, { clusterDomain: options.clusterDomain });
  const ingress = registryIngress(registry);
  const deployment = registryDeployment(registry, {
    operatorImage: options.operatorImage,
    authContainerArgs: authServerArgs(authServerOptionsFor(registry.spec, namespace, name)),
    registryEnv,
    configChecksum,
  });
  return [
    { resource: resources.secrets, object: config },
    ...(claim ? [{ resource: resources.claims, object: claim }] : []),
    { resource: resources.services, object: registryService(registry) },
    { resource: resources.deployments, object: deployment },
    ...(nodeProxy ? [{ resource: resources.daemonSets, object: nodeProxy }] : []),
    ...(ingress ? [{ resource: resources.ingresses, object: ingress }] : []),
  ];
}

/** The signing certificate as stored in the auth Secret's data (base64). */
export function signingCertificateOf(authSecret: V1Secret): string {
  return authSecret.data?.[authSecretKeys.signingCertificate] ?? '';
}
