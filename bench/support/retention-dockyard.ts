import { randomUUID } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { LocalControlPlane } from '../../test/cluster/control-plane.ts';
import { bundledDockyardMain } from '../../test/support/bundle.ts';
import { installDockyardCrds } from '../../test/support/crds.ts';

const namespace = 'bench-retention';
const policyName = 'keep-newest';

/**
 * Where `dockyard retention run` reads its RetentionPolicy and what the cluster runs (its Job
 * does both): a local control plane, no workloads, one policy keeping the `keep` most recently
 * pushed images of every repository, with a circuit breaker wide enough for the whole plan.
 */
export class DockyardRetentionCluster {
  private readonly plane: LocalControlPlane;

  private constructor(plane: LocalControlPlane) {
    this.plane = plane;
  }

  static async start(binDir: string, keep: number, deletions: number): Promise<DockyardRetentionCluster> {
    const plane = await LocalControlPlane.start({ binDir, log: () => undefined });
    try {
      const kubeConfig = plane.kubeConfig();
      await installDockyardCrds(kubeConfig, 'dockyard-bench');
      await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
      await kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
        group: 'dockyard.dev',
        version: 'v1alpha1',
        namespace,
        plural: 'retentionpolicies',
        body: {
          apiVersion: 'dockyard.dev/v1alpha1',
          kind: 'RetentionPolicy',
          metadata: { name: policyName },
          spec: {
            registryRef: { name: 'bench' },
            repositories: ['bench/**'],
            schedule: '0 3 * * *',
            rules: [{ mostRecentlyPushed: keep }],
            maxDeletionsPerRun: Math.max(deletions, 1),
          },
        },
      });
      return new DockyardRetentionCluster(plane);
    } catch (error) {
      await plane.stop();
      throw error;
    }
  }

  /**
   * The command line of the Job's container (the CronJob's runArgs) for the bundled CLI (dist/,
   * what the image runs): it also leaves its summary and report as ConfigMaps, owned by a Job
   * that here exists only by name and uid. Plain registries are open: no credentials; a
   * Dockyard-run one gets the maintainer's, mounted as the Job mounts its Secret.
   */
  command(registryUrl: string, run: number, credentialsDir?: string): string[] {
    return [
      bundledDockyardMain(),
      'retention',
      'run',
      '--policy',
      `${namespace}/${policyName}`,
      '--registry',
      registryUrl,
      '--report-job',
      `${policyName}-${run}`,
      '--report-job-uid',
      randomUUID(),
      '--report-namespace',
      namespace,
      '--kubeconfig',
      this.plane.kubeconfigPath,
      ...(credentialsDir !== undefined ? ['--credentials-dir', credentialsDir] : []),
    ];
  }

  stop(): Promise<void> {
    return this.plane.stop();
  }
}
