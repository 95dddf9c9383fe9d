import { CoreV1Api } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalControlPlane } from '../../cluster/control-plane.ts';
import { createTestNamespace } from '../../support/kube.ts';
import { auditedRequests, describeRequest } from '../../support/audit-log.ts';
import { msBetween, OperatorProcess } from '../../support/operator-process.ts';
import { metricValue } from '../../support/metrics.ts';
import { createSource, derivedData } from './test-objects.ts';

const operatorUser = 'dockyard-operator';
const idleWindowMs = 60_000;

// A private control plane, so the operator can have an identity of its own that the audit log
// names (the shared cluster's only client identity is its administrator).
describe('an idle operator', () => {
  let plane: LocalControlPlane;
  let core: CoreV1Api;
  let namespace: string;
  let operator: OperatorProcess | undefined;

  beforeAll(async () => {
    plane = await LocalControlPlane.start({ binDir: inject('binDir') });
    const kubeConfig = plane.kubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    ({ name: namespace } = await createTestNamespace(kubeConfig, 'idle'));
  });

  afterAll(async () => {
    await operator?.stop();
    await plane?.stop();
  });

  it(
    'writes nothing but Lease renewals for a minute, though it relists and reconciles every object repeatedly',
    async () => {
      await createSource(core, namespace, 'alpha', { value: 'a' });
      await createSource(core, namespace, 'beta', { value: 'b' });
      const kubeconfig = await plane.kubeconfigFor(operatorUser, ['system:masters']);
      // Relisting every 10 s re-enqueues every object: each pass is a no-op reconcile.
      operator = OperatorProcess.start({
        name: 'idle',
        kubeconfig,
        args: ['--leader-election-namespace', namespace],
        env: { DOCKYARD_TEST_RELIST_INTERVAL_MS: '10000' },
      });
      const firstReconcile = await operator.waitForMessage('reconciled');
      console.info(`[measure] operator start to first reconcile: ${msBetween(operator.startedAt, firstReconcile)} ms`);
      await derivedData(core, namespace, 'alpha', { value: 'a' });
      await derivedData(core, namespace, 'beta', { value: 'b' });
      // The children's own ADDED events bring each source back once; that pass finds nothing to do.
      await operator.waitForMessage('found derived ConfigMap up to date');

      const windowStart = Date.now();
      const reconcilesBefore = operator.count('reconciled');
      await sleep(idleWindowMs); // the window observed, not a wait for something to happen
      const windowEnd = Date.now();

      const writes = await auditedRequests(plane.auditLogFile, operatorUser, { from: windowStart, to: windowEnd });
      const leaseRenewals = writes.filter((w) => w.verb === 'update' && w.objectRef?.resource === 'leases' && w.objectRef.namespace === namespace);
      expect(writes.filter((w) => !leaseRenewals.includes(w)).map(describeRequest)).toEqual([]);
      // Renewed every 2 s: about 30 in a minute. Far fewer would mean the audit log missed them.
      expect(leaseRenewals.length).toBeGreaterThanOrEqual(20);
      // And the operator was not merely asleep: it reconciled both objects on every relist.
      expect(operator.count('reconciled') - reconcilesBefore).toBeGreaterThanOrEqual(8);

      const rssBytes = await metricValue(await operator.healthUrl(), 'process_resident_memory_bytes');
      console.info(`[measure] idle RSS: ${(rssBytes / 2 ** 20).toFixed(1)} MiB`);
    },
    idleWindowMs + 90_000,
  );
});
