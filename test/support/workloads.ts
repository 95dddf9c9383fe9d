import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

/**
 * Workloads that use an image, for tests of what retention must keep: a Pod (kwok "runs" it)
 * and a Deployment scaled to zero, whose template still counts as in use.
 */
export async function createImageUsers(
  kubeConfig: KubeConfig,
  namespace: string,
  users: { pod?: { name: string; image: string }; deployment?: { name: string; image: string } },
): Promise<void> {
  if (users.pod !== undefined) {
    await kubeConfig.makeApiClient(CoreV1Api).createNamespacedPod({
      namespace,
      body: { metadata: { name: users.pod.name }, spec: { containers: [{ name: 'main', image: users.pod.image }] } },
    });
  }
  if (users.deployment !== undefined) {
    const labels = { app: users.deployment.name };
    await kubeConfig.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: users.deployment.name },
        spec: {
          replicas: 0,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: users.deployment.image }] } },
        },
      },
    });
  }
}
