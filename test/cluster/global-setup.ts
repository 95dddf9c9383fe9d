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
    /** The real node's name (tainted: Pods must tolerate realNodeTaint), or undefined. */
    realNode: string | undefined;
    /** Why there is no real node, for the skip message of the tests that need one. */
    realNodeUnavailable: string | undefined;
    /** The real node's containerd socket, to import images into. */
    realNodeContainerdSocket: string | undefined;
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
    project.provide('realNode', undefined);
    project.provide('realNodeUnavailable', 'the suite runs against an external cluster (DOCKYARD_TEST_KUBECONFIG)');
    project.provide('realNodeContainerdSocket', undefined);
    return async () => undefined;
  }
  // The integration suite runs on kwok Nodes; DOCKYARD_REAL_NODE=1 adds the real node, tainted,
  // for tests that tolerate it. Off by default: a machine has one real node, and the real-node
  // and e2e projects need it (several checkouts may run this suite on one machine at once).
  const wantRealNode = process.env['DOCKYARD_REAL_NODE'] === '1';
  const plane = await LocalControlPlane.start({ binDir, ...(wantRealNode ? { realNode: 'tainted' as const } : {}) });
  if (plane.realNode) process.stderr.write(`[control-plane] real node ready in ${plane.realNodeStartupSeconds.toFixed(1)}s\n`);
  project.provide('realNode', plane.realNode?.name);
  project.provide('realNodeUnavailable', wantRealNode ? plane.realNodeUnavailable : 'the integration suite adds the real node only with DOCKYARD_REAL_NODE=1');
  project.provide('realNodeContainerdSocket', plane.realNode?.containerdSocket);
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
