import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminKubeConfig, createTestNamespace } from '../../support/kube.ts';
import { msBetween, OperatorProcess } from '../../support/operator-process.ts';
import { metricValue } from '../../support/metrics.ts';
import { createSource, derivedData } from './test-objects.ts';

// Default timings: a 15 s lease, renewed every 2 s.
const leaseDurationMs = 15_000;
const retryPeriodMs = 2_000;

describe('leader election between two operator processes', () => {
  let core: CoreV1Api;
  let namespace: string;
  let removeNamespace: () => Promise<void>;
  const running: OperatorProcess[] = [];

  beforeAll(async () => {
    const kubeConfig = adminKubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kubeConfig, 'leader-election'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((operator) => operator.stop()));
  });

  afterAll(async () => {
    await removeNamespace?.();
  });

  /** Starts replica a and lets it lead, then replica b as its standby, on a Lease of their own. */
  async function startPair(lease: string): Promise<{ leader: OperatorProcess; standby: OperatorProcess }> {
    const start = (name: string) => {
      const operator = OperatorProcess.start({
        name: `${lease}-${name}`,
        kubeconfig: inject('kubeconfig'),
        args: ['--leader-election-namespace', namespace, '--leader-election-name', lease],
      });
      running.push(operator);
      return operator;
    };
    const leader = start('a');
    await leader.waitForMessage('started controllers');
    const standby = start('b');
    await standby.waitForMessage('found the lease held by another replica; waiting');
    return { leader, standby };
  }

  it('lets exactly one replica reconcile, while both report ready', async () => {
    const { leader, standby } = await startPair('exactly-one');
    const sources = ['one', 'two', 'three'];
    for (const name of sources) await createSource(core, namespace, `${name}-x1`, { value: name });
    for (const name of sources) await derivedData(core, namespace, `${name}-x1`, { value: name });

    const reconciledKeys = (operator: OperatorProcess) => new Set(operator.logs.filter((line) => line.msg === 'reconciled').map((line) => String(line['key'])));
    for (const name of sources) expect(reconciledKeys(leader)).toContain(`${namespace}/${name}-x1`);
    expect(reconciledKeys(standby).size).toBe(0);
    expect(standby.count('started controllers')).toBe(0);

    const [leaderUrl, standbyUrl] = await Promise.all([leader.healthUrl(), standby.healthUrl()]);
    expect((await fetch(`${leaderUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${standbyUrl}/readyz`)).status).toBe(200);
    expect(await metricValue(leaderUrl, 'dockyard_leader')).toBe(1);
    expect(await metricValue(standbyUrl, 'dockyard_leader')).toBe(0);
  });

  it('hands over when the leader is killed, within the lease duration plus the polling slack', async () => {
    const { leader, standby } = await startPair('sigkill');
    leader.kill('SIGKILL');
    const killedAt = Date.now();
    await leader.waitForExit();

    const tookOver = await standby.waitForMessage('became the leader', { timeoutMs: 30_000 });
    const takeoverMs = msBetween(killedAt, tookOver);
    console.info(`[measure] takeover after SIGKILL: ${takeoverMs} ms`);
    // A standby counts the lease from when it saw the last renewal, by its own clock (as client-go
    // does, immune to clock skew), and it polls every retry period (+20% jitter): it may have seen
    // that renewal up to one poll late.
    expect(takeoverMs).toBeLessThanOrEqual(leaseDurationMs + retryPeriodMs * 1.2);

    await createSource(core, namespace, 'after-kill', { value: 'reconciled by the new leader' });
    await derivedData(core, namespace, 'after-kill', { value: 'reconciled by the new leader' });
    await standby.waitForLog((line) => line.msg === 'reconciled' && line['key'] === `${namespace}/after-kill`, 'the new leader reconciling after-kill');
  });

  it('hands over within seconds when the leader is stopped with SIGTERM, which releases the lease', async () => {
    const { leader, standby } = await startPair('sigterm');
    leader.kill('SIGTERM');
    const terminatedAt = Date.now();
    expect(await leader.waitForExit()).toEqual({ code: 0, signal: null });
    expect(leader.count('released the lease')).toBe(1);

    const tookOver = await standby.waitForMessage('became the leader', { timeoutMs: 10_000 });
    const takeoverMs = msBetween(terminatedAt, tookOver);
    console.info(`[measure] takeover after SIGTERM: ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(5_000);

    await createSource(core, namespace, 'after-term', { value: 'reconciled by the new leader' });
    await derivedData(core, namespace, 'after-term', { value: 'reconciled by the new leader' });
  });
});
