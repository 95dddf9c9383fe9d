import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';

/** A cluster-admin client for the cluster the integration run uses. */
export function adminKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(inject('kubeconfig'));
  return kubeConfig;
}

/**
 * A fresh namespace for one test file, so files never see each other's objects. Returns its name
 * and a function that deletes it (the namespace controller then removes everything inside).
 */
export async function createTestNamespace(kubeConfig: KubeConfig, prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'dockyard.dev/test': prefix } } } });
  return {
    name,
    remove: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/** True when the error is the apiserver's 404. */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}
