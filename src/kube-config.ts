import { KubeConfig } from '@kubernetes/client-node';

/**
 * Loads cluster credentials the way kubectl does: an explicit --kubeconfig, else $KUBECONFIG,
 * else the in-cluster service account, else ~/.kube/config.
 */
export function loadKubeConfig(explicitPath?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (explicitPath) {
    kubeConfig.loadFromFile(explicitPath);
  } else {
    kubeConfig.loadFromDefault();
  }
  if (kubeConfig.getCurrentCluster() === null) {
    throw new Error('no Kubernetes cluster configured: set --kubeconfig or KUBECONFIG, or run inside a cluster');
  }
  return kubeConfig;
}
