import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalControlPlane } from '../../cluster/control-plane.ts';
import { createTestNamespace } from '../../support/kube.ts';
import { OperatorProcess } from '../../support/operator-process.ts';
import { createSource, derivedData, updateSource } from './test-objects.ts';

// A private control plane: this file stops its kube-apiserver.
describe('an operator living through a kube-apiserver outage', () => {
  let plane: LocalControlPlane;
  let core: CoreV1Api;
  let namespace: string;
  let operator: OperatorProcess | undefined;

  beforeAll(async () => {
    plane = await LocalControlPlane.start({ binDir: inject('binDir') });
    const kubeConfig = plane.kubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    ({ name: namespace } = await createTestNamespace(kubeConfig, 'outage'));
  });

  afterAll(async () => {
    await operator?.stop();
    await plane?.stop();
  });

  it('reconciles what changed while it was cut off, after kube-apiserver returns, without restarting', async () => {
    const kubeconfig = await plane.kubeconfigFor('dockyard-operator', ['system:masters']);
    operator = OperatorProcess.start({ name: 'survivor', kubeconfig, args: ['--leader-election-namespace', namespace] });
    await operator.waitForMessage('started controllers');
    await createSource(core, namespace, 'steady', { generation: 'before the outage' });
    await derivedData(core, namespace, 'steady', { generation: 'before the outage' });
    const pid = operator.pid;

    const beforeOutage = operator.logs.length;
    await plane.stopComponent('kube-apiserver');
    // Either loop noticing is enough: the watch failing, or the Lease renewal failing.
    await operator.waitForLog((line) => line.msg === 'list or watch failed; retrying' || line.msg === 'lease round failed', 'it noticing the outage', {
      from: beforeOutage,
    });
    await plane.startComponent('kube-apiserver');

    // Changed at once, while the operator is still backing off: its watch is down and will not
    // deliver these; only the relist after reconnecting can.
    await updateSource(core, namespace, 'steady', { generation: 'after the outage' });
    await createSource(core, namespace, 'newcomer', { generation: 'after the outage' });

    await derivedData(core, namespace, 'steady', { generation: 'after the outage' }, 90_000);
    await derivedData(core, namespace, 'newcomer', { generation: 'after the outage' }, 30_000);
    expect(operator.exited).toBe(false);
    expect(operator.pid).toBe(pid);
    expect((await fetch(`${await operator.healthUrl()}/readyz`)).status).toBe(200);
  });
});
