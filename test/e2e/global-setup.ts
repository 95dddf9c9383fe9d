import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { controlPlaneBinDir } from '../cluster/binaries.ts';
import { LocalControlPlane } from '../cluster/control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The e2e cluster's kubeconfig (cluster-admin), when it has a real node. */
    e2eKubeconfig: string | undefined;
    /** Why the e2e group is skipped: the machine cannot run a real node. */
    e2eUnavailable: string | undefined;
    e2eBinDir: string;
    /** The OCI archives the real node imported (busybox-1.oci.tar is what tests push). */
    e2eImagesDir: string | undefined;
    /** The real node's directory (containerd's hosts.toml live there). */
    e2eNodeDir: string | undefined;
  }
}

/**
 * The e2e group's cluster: the local control plane with its real node, as `make dev` has it (the
 * kwok Nodes tainted, so what Dockyard creates runs for real). Without a real node there is no
 * cluster to start: every e2e test is skipped and says why.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binDir = await controlPlaneBinDir();
  project.provide('e2eBinDir', binDir);
  project.provide('e2eImagesDir', undefined);
  project.provide('e2eNodeDir', undefined);
  if (process.env['DOCKYARD_REAL_NODE'] === '0') {
    project.provide('e2eKubeconfig', undefined);
    project.provide('e2eUnavailable', 'DOCKYARD_REAL_NODE=0');
    return async () => undefined;
  }
  const plane = await LocalControlPlane.start({ binDir, realNode: 'preferred' });
  if (plane.realNode === undefined) {
    await plane.stop();
    project.provide('e2eKubeconfig', undefined);
    project.provide('e2eUnavailable', plane.realNodeUnavailable ?? 'no real node');
    return async () => undefined;
  }
  process.stderr.write(
    `[e2e] control plane with real node ready in ${plane.startupSeconds.toFixed(1)}s (real node ${plane.realNodeStartupSeconds.toFixed(1)}s)\n`,
  );
  project.provide('e2eKubeconfig', plane.kubeconfigPath);
  project.provide('e2eUnavailable', undefined);
  project.provide('e2eImagesDir', join(plane.workDir, 'images'));
  project.provide('e2eNodeDir', plane.realNode.nodeDir);
  return async () => {
    const stopping = performance.now();
    await plane.stop();
    process.stderr.write(`[e2e] control plane and real node stopped in ${((performance.now() - stopping) / 1000).toFixed(1)}s\n`);
  };
}
