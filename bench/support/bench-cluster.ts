import { KubeClient } from '../../src/runtime/kube-client.ts';
import { LocalControlPlane } from '../../test/cluster/control-plane.ts';
import { installDockyardCrds } from '../../test/support/crds.ts';
import { createBenchNamespaces, waitForDefaultServiceAccounts, type ScaleSize } from './scale-objects.ts';

/**
 * A local control plane made ready for the operator-scale benchmark by its administrator: the
 * dockyard.dev CRDs and every namespace of the benchmark (usable: with its default ServiceAccount).
 * stop() is idempotent.
 */
export class BenchCluster {
  readonly plane: LocalControlPlane;
  /** A client as the control plane's administrator (not an identity the benchmark measures). */
  readonly admin: KubeClient;
  private stopped: Promise<void> | undefined;

  private constructor(plane: LocalControlPlane) {
    this.plane = plane;
    this.admin = new KubeClient(plane.kubeConfig());
  }

  static async start(options: { binDir: string; size: ScaleSize; nodeCount: number }): Promise<BenchCluster> {
    const cluster = new BenchCluster(await LocalControlPlane.start({ binDir: options.binDir, log: () => undefined, nodeCount: options.nodeCount }));
    try {
      await installDockyardCrds(cluster.plane.kubeConfig(), 'dockyard-bench');
      await createBenchNamespaces(cluster.admin, options.size, 16);
      await waitForDefaultServiceAccounts(cluster.admin, options.size, 300_000);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Stops the control plane; `keepWorkDir` keeps its directory (audit log included). */
  stop(options: { keepWorkDir?: boolean } = {}): Promise<void> {
    this.stopped ??= this.plane.stop({ keepWorkDir: options.keepWorkDir });
    return this.stopped;
  }
}
