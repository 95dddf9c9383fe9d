import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminKubeConfig, createTestNamespace } from '../../support/kube.ts';
import { OperatorProcess } from '../../support/operator-process.ts';
import { metricValue } from '../../support/metrics.ts';
import { createSource, derivedData } from './test-objects.ts';

describe('a watch that silently stops delivering events', () => {
  let core: CoreV1Api;
  let namespace: string;
  let removeNamespace: () => Promise<void>;
  let operator: OperatorProcess | undefined;

  beforeAll(async () => {
    const kubeConfig = adminKubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kubeConfig, 'watch-stall'));
  });

  afterAll(async () => {
    await operator?.stop();
    await removeNamespace?.();
  });

  it('is caught by the watchdog, whose relist reconciles the change the watch missed', async () => {
    // The fixture keeps every watch connection open but drops all its events, bookmarks included:
    // only a relist can bring news, and only the watchdog (3 s of silence here) triggers one.
    operator = OperatorProcess.start({
      name: 'stalled',
      kubeconfig: inject('kubeconfig'),
      args: ['--no-leader-elect'],
      env: { DOCKYARD_TEST_SILENT_WATCH: '1', DOCKYARD_TEST_STALL_TIMEOUT_MS: '3000' },
    });
    await operator.waitForMessage('started controllers');
    const beforeChange = operator.logs.length;

    await createSource(core, namespace, 'missed', { value: 'only a relist can see me' });
    await derivedData(core, namespace, 'missed', { value: 'only a relist can see me' }, 20_000);

    const stall = await operator.waitForMessage('watch went silent; relisting', { from: beforeChange });
    const reconcile = await operator.waitForLog(
      (line) => line.msg === 'reconciled' && line['key'] === `${namespace}/missed`,
      'the reconcile of the missed source',
      { from: beforeChange },
    );
    expect(operator.logs.indexOf(stall)).toBeLessThan(operator.logs.indexOf(reconcile));
    expect(await metricValue(await operator.healthUrl(), 'dockyard_informer_restarts_total', { reason: 'stalled' })).toBeGreaterThan(0);
  });
});
