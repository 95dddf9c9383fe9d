import type { LocalControlPlane } from '../../test/cluster/control-plane.ts';
import { freeLoopbackPorts } from '../../test/cluster/ports.ts';
import { OperatorProcess } from '../../test/support/operator-process.ts';
import { eventually } from '../../test/support/eventually.ts';

/** The identity the benchmarked operator acts as; the audit log names it on every write. */
export const operatorUser = 'dockyard-operator';

/**
 * Starts the bundled `dockyard operator` (what the image runs) as `operatorUser` (a cluster
 * admin, so RBAC plays no part), without leader election, allowed to fan pull Secrets out from
 * every namespace, and waits until its /readyz answers 200 (informers synced).
 */
export async function startBenchOperator(plane: LocalControlPlane, options: { readyTimeoutMs: number; cgroupProcs?: string }): Promise<OperatorProcess> {
  const kubeconfig = await plane.kubeconfigFor(operatorUser, ['system:masters']);
  const [port] = await freeLoopbackPorts(1);
  const operator = OperatorProcess.startDockyard({
    name: operatorUser,
    bundled: true,
    cgroupProcs: options.cgroupProcs,
    // For experiments, e.g. --heapsnapshot-signal=SIGUSR2; the figures are for what ships.
    nodeFlags: process.env['DOCKYARD_BENCH_NODE_FLAGS']?.split(' ').filter(Boolean) ?? [],
    args: ['--kubeconfig', kubeconfig, '--health-addr', `127.0.0.1:${port}`, '--no-leader-elect', '--image', 'dockyard:bench', '--pull-secret-sources', '*'],
  });
  try {
    const outcome = await eventually(
      async () => {
        if (operator.exited) return 'exited';
        const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        return response.status === 200 && 'ready';
      },
      { what: 'the operator to answer /readyz with 200', timeoutMs: options.readyTimeoutMs, intervalMs: 500 },
    );
    if (outcome === 'exited') throw new Error('the operator exited during start-up');
  } catch (error) {
    await operator.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${operator.describe()}`);
  }
  return operator;
}
