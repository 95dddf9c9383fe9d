import type { TestProject } from 'vitest/node';
import { controlPlaneBinDir } from './binaries.ts';
import { LocalControlPlane } from './control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The kubeconfig of the cluster integration tests run against (cluster-admin). */
    kubeconfig: string;
    /** kube-apiserver's audit log of writes, when the cluster is the local control plane. */
    auditLogFile: string | undefined;
    /** Where the control plane's binaries are, for tests that start a cluster of their own. */
    binDir: string;
    /** True when the suite runs against a cluster named by DOCKYARD_TEST_KUBECONFIG (kind). */
    externalCluster: boolean;
  }
}

/**
 * Starts one local control plane for the whole integration run, unless DOCKYARD_TEST_KUBECONFIG
 * names a real cluster (kind, for `make e2e-kind`), which is then used as it is.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env['DOCKYARD_TEST_KUBECONFIG'];
  const binDir = external ? '' : await controlPlaneBinDir();
  if (external) {
    project.provide('kubeconfig', external);
    project.provide('auditLogFile', undefined);
    project.provide('binDir', binDir);
    project.provide('externalCluster', true);
    return async () => undefined;
  }
  const plane = await LocalControlPlane.start({ binDir });
  project.provide('kubeconfig', plane.kubeconfigPath);
  project.provide('auditLogFile', plane.auditLogFile);
  project.provide('binDir', binDir);
  project.provide('externalCluster', false);
  return async () => {
    const stopping = performance.now();
    await plane.stop();
    process.stderr.write(`[control-plane] stopped in ${((performance.now() - stopping) / 1000).toFixed(1)}s\n`);
  };
}
