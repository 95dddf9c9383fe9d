import { createHash } from 'node:crypto';
import type { V1EnvVar, V1Secret } from '@kubernetes/client-node';
import type { Registry } from '../../api/v1alpha1/registry.ts';
import { authServerArgs } from '../../auth-server/options.ts';
import { authServerOptionsFor } from './auth-server-options.ts';
import type { KubeObject, ResourceType } from '../../runtime/resource.ts';
import { registryDeployment } from './builders/deployment.ts';
import { registryDisruptionBudget } from './builders/disruption-budget.ts';
import { registryIngress } from './builders/ingress.ts';
import { childMetadata, components, registryIdentity } from './builders/metadata.ts';
import { nodeProxyDaemonSet } from './builders/node-proxy-daemon-set.ts';
import { persistentVolumeClaim } from './builders/persistent-volume-claim.ts';
import { registryService } from './builders/service.ts';
import { registryEnvironment, renderRegistryConfig } from './config.ts';
import { childNames } from '../common/registry-children.ts';
import { authSecretKeys } from '../../registry-auth/pod-contract.ts';
import type { RegistryControllerOptions } from './options.ts';
import { resources } from './resources.ts';

export interface DesiredChild {
  resource: ResourceType;
  object: KubeObject;
}

/**
 * The objects that run a registry, in the order they are applied: the config first, the claim
 * before the Pods that mount it, the Deployment after everything it references. Pure.
 * Everything distribution reads only at start is part of the checksum that rolls the Pods:
 * besides config.yml, `signingCertificate` (the auth Secret's, base64) and the versions of the
 * users' Secrets its env is taken from, as `userSecret` finds them (see envSecretVersion).
 */
export function desiredWorkload(
  registry: Registry,
  options: RegistryControllerOptions,
  inputs: { signingCertificate: string; userSecret: (name: string) => KubeObject | undefined },
): DesiredChild[] {
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
    .update(inputs.signingCertificate)
    .update(JSON.stringify(envSecretNames(registry).map((secretName) => envSecretVersion(secretName, inputs.userSecret(secretName)))))
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
  const disruptionBudget = registryDisruptionBudget(registry);
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
    ...(disruptionBudget ? [{ resource: resources.podDisruptionBudgets, object: disruptionBudget }] : []),
    ...(nodeProxy ? [{ resource: resources.daemonSets, object: nodeProxy }] : []),
    ...(ingress ? [{ resource: resources.ingresses, object: ingress }] : []),
  ];
}

/**
 * The users' Secrets the registry container's env reads (S3 and proxy credentials; the
 * operator's own auth Secret is covered by the signing certificate). Env is fixed at container
 * start, so a rotated key only reaches distribution through new Pods.
 */
export function envSecretNames(registry: Registry): string[] {
  const { name } = registryIdentity(registry);
  const own = childNames(name).auth;
  const names = registryEnvironment(registry.spec, { name, notifications: false }).map((variable) => variable.secretName);
  return [...new Set(names.filter((secretName) => secretName !== own))].sort();
}

/**
 * What of a user's Secret goes into the checksum: its uid and resourceVersion, which change with
 * any update or replacement. Never its values: the checksum sits in a Pod annotation that more
 * people can read than can read the Secret, and a hash of a weak password can be guessed.
 */
export function envSecretVersion(secretName: string, secret: KubeObject | undefined): string {
  return secret === undefined ? `${secretName}:absent` : `${secretName}:${secret.metadata?.uid}:${secret.metadata?.resourceVersion}`;
}

/** The signing certificate as stored in the auth Secret's data (base64). */
export function signingCertificateOf(authSecret: V1Secret): string {
  return authSecret.data?.[authSecretKeys.signingCertificate] ?? '';
}
