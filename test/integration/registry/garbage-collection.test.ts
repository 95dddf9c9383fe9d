import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RegistryStatus } from '../../../src/api/v1alpha1/registry.ts';
import { childNames, componentLabel, registryNameLabel } from '../../../src/controllers/common/registry-children.ts';
import { components } from '../../../src/controllers/registry/builders/metadata.ts';
import { writeGateAnnotation } from '../../../src/controllers/registry/garbage-collection/kubelet-nudge.ts';
import { collectGarbageNowAnnotation } from '../../../src/controllers/registry/garbage-collection/schedule.ts';
import { resources } from '../../../src/controllers/registry/resources.ts';
import { authSecretKeys } from '../../../src/registry-auth/pod-contract.ts';
import { parseWriteGate, type WriteGate } from '../../../src/registry-auth/write-gate.ts';
import { coreResources, type KubeObject } from '../../../src/runtime/resource.ts';
import { eventually } from '../../support/eventually.ts';
import { RegistryTestbed } from './testbed.ts';

const namespace = 'gc';

// Garbage collection driven by the real operator on a real control plane. kwok plays the
// kubelet: the registry Pods get addresses but nothing answers there, so no door ever reports
// the gate. That is the failure a collection must survive without leaving the registry
// read-only: the gate goes up, nobody confirms it, and at maxReadOnlyDuration it comes down with
// the registry Degraded, saying which doors were silent. (The success path, on a real node, is
// in test/e2e/.)
describe.skipIf(inject('externalCluster'))('Registry garbage collection through the operator', () => {
  let testbed: RegistryTestbed;

  beforeAll(async () => {
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: '' });
    await testbed.createNamespace(namespace);
  });

  afterAll(async () => {
    await testbed?.stop();
  });

  const gateInSecret = async (name: string): Promise<WriteGate | undefined> => {
    const secret = await testbed.core.readNamespacedSecret({ namespace, name: childNames(name).auth });
    const encoded = secret.data?.[authSecretKeys.writeGate];
    return encoded === undefined ? undefined : parseWriteGate(Buffer.from(encoded, 'base64').toString('utf8'));
  };
  /** The write-gate annotation of each registry Pod (undefined where absent). */
  const podGateAnnotations = async (name: string): Promise<Array<string | undefined>> => {
    const pods = await testbed.core.listNamespacedPod({ namespace, labelSelector: `${registryNameLabel}=${name},${componentLabel}=${components.registry}` });
    return pods.items.map((pod) => pod.metadata?.annotations?.[writeGateAnnotation]);
  };
  const condition = (status: RegistryStatus | undefined, type: string) => status?.conditions?.find((candidate) => candidate.type === type);
  const runNow = (name: string, value: string) =>
    testbed.client.patch(resources.registries, { namespace, name }, 'merge', { metadata: { annotations: { [collectGarbageNowAnnotation]: value } } });
  const eventsOf = async (name: string, reason: string) => {
    const list = await testbed.client.list<KubeObject & { reason?: string; type?: string; note?: string; regarding?: { name?: string } }>(
      coreResources.events,
      { namespace },
    );
    return list.items.filter((event) => event.reason === reason && event.regarding?.name === name);
  };

  it('gates writes on run-now, and lifts the gate at maxReadOnlyDuration when no door confirms it, reporting Degraded', async () => {
    await testbed.createRegistry(namespace, 'silent', {
      storage: { persistentVolumeClaim: { size: '1Gi' } },
      garbageCollection: { schedule: '0 4 * * *', maxReadOnlyDuration: '25s' },
    });
    const ready = await testbed.waitForReady(namespace, 'silent');
    expect(ready.status?.garbageCollection?.nextRunTime).toMatch(/T04:00:00/);
    expect(condition(ready.status, 'Maintenance')).toMatchObject({ status: 'False', reason: 'NoMaintenance' });
    expect(await gateInSecret('silent')).toBeUndefined();

    await runNow('silent', 'first');
    const gated = await eventually(
      async () => {
        const registry = await testbed.getRegistry(namespace, 'silent');
        return registry.status?.garbageCollection?.current !== undefined && condition(registry.status, 'Maintenance')?.status === 'True' ? registry : undefined;
      },
      { what: 'the run to start, with Maintenance=True', timeoutMs: 30_000 },
    );
    const current = gated.status!.garbageCollection!.current!;
    expect(current.phase).toBe('Gating');
    expect(gated.status?.phase).toBe('Maintenance');
    expect(gated.status?.garbageCollection?.handledRunNowRequest).toBe('first');
    expect(condition(gated.status, 'Ready')?.status).toBe('True');
    const gate = await eventually(() => gateInSecret('silent'), { what: 'the gate in the auth Secret', timeoutMs: 15_000 });
    expect(gate).toMatchObject({ id: current.run, until: current.gateUntil, reason: 'garbage collection' });
    // Each registry Pod is annotated with the gate, so its kubelet refreshes the Secret volume now.
    await eventually(async () => (await podGateAnnotations('silent')).every((value) => value === gate.id), {
      what: 'the registry Pods to carry the gate annotation',
      timeoutMs: 15_000,
    });
    expect((await podGateAnnotations('silent')).length).toBeGreaterThan(0);

    // A second request while the run is under way is refused once, not queued.
    await runNow('silent', 'second');
    await eventually(async () => (await eventsOf('silent', 'GarbageCollectionRunNowRefused')).length === 1, {
      what: 'the refusal Event',
      timeoutMs: 15_000,
    });

    const ended = await eventually(
      async () => {
        const registry = await testbed.getRegistry(namespace, 'silent');
        return registry.status?.garbageCollection?.lastRun !== undefined ? registry : undefined;
      },
      { what: 'the run to end at its deadline', timeoutMs: 60_000 },
    );
    const lastRun = ended.status!.garbageCollection!.lastRun!;
    expect(lastRun.outcome).toBe('Failed');
    expect(lastRun.message).toMatch(/not done within maxReadOnlyDuration .* during Gating/);
    // kwok gives the Pod an address where nothing listens: the message names it.
    expect(lastRun.message).toMatch(/registry Pods did not report the write gate: silent-registry-/);
    expect(Date.parse(lastRun.completionTime!)).toBeGreaterThanOrEqual(Date.parse(current.gateUntil));
    expect(lastRun.writeGateSeconds).toBeGreaterThanOrEqual(25);
    expect(ended.status?.garbageCollection?.current).toBeUndefined();
    expect(ended.status?.garbageCollection?.handledRunNowRequest).toBe('second');
    expect(await gateInSecret('silent')).toBeUndefined();
    await eventually(async () => (await podGateAnnotations('silent')).every((value) => value === undefined), {
      what: 'the gate annotation to leave the registry Pods',
      timeoutMs: 15_000,
    });
    expect(condition(ended.status, 'Maintenance')).toMatchObject({ status: 'False', reason: 'NoMaintenance' });
    expect(condition(ended.status, 'Degraded')).toMatchObject({ status: 'True', reason: 'GarbageCollectionFailed' });
    expect(condition(ended.status, 'Degraded')?.message).toContain(lastRun.message!.slice(0, 60));
    expect(condition(ended.status, 'GarbageCollection')).toMatchObject({ status: 'False', reason: 'GarbageCollectionFailed' });
    expect(condition(ended.status, 'Ready')?.status).toBe('True');
    expect(ended.status?.phase).toBe('Degraded');
    await eventually(async () => (await eventsOf('silent', 'GarbageCollectionFailed')).length === 1, { what: 'one Warning Event', timeoutMs: 15_000 });
    expect((await eventsOf('silent', 'GarbageCollectionStarted')).length).toBe(1);
    const [failed] = await eventsOf('silent', 'GarbageCollectionFailed');
    expect(failed?.type).toBe('Warning');

    // No second run started: both requests were handled, and the schedule is hours away.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await testbed.getRegistry(namespace, 'silent');
    expect(after.status?.garbageCollection?.current).toBeUndefined();
    expect((await eventsOf('silent', 'GarbageCollectionStarted')).length).toBe(1);
  });

  it('rolls back a run the operator was stopped in the middle of: restarted past the deadline, it lifts the gate', async () => {
    await testbed.createRegistry(namespace, 'interrupted', {
      storage: { persistentVolumeClaim: { size: '1Gi' } },
      garbageCollection: { schedule: '0 4 * * *', maxReadOnlyDuration: '15s' },
    });
    await testbed.waitForReady(namespace, 'interrupted');
    await runNow('interrupted', 'go');
    const gate = await eventually(() => gateInSecret('interrupted'), { what: 'the gate in the auth Secret', timeoutMs: 30_000 });

    await testbed.restartOperator(async () => {
      // While no operator runs, the run stays where it was: gated, in the status and the Secret.
      const registry = await testbed.getRegistry(namespace, 'interrupted');
      expect(registry.status?.garbageCollection?.current?.run).toBe(gate.id);
      expect(await gateInSecret('interrupted')).toMatchObject({ id: gate.id });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(gate.until) - Date.now()) + 1_000));
    });

    const ended = await eventually(
      async () => {
        const registry = await testbed.getRegistry(namespace, 'interrupted');
        return registry.status?.garbageCollection?.lastRun !== undefined ? registry : undefined;
      },
      { what: 'the restarted operator to end the run', timeoutMs: 60_000 },
    );
    expect(ended.status?.garbageCollection?.lastRun).toMatchObject({ outcome: 'Failed' });
    expect(ended.status?.garbageCollection?.current).toBeUndefined();
    expect(await gateInSecret('interrupted')).toBeUndefined();
    expect(condition(ended.status, 'Degraded')).toMatchObject({ status: 'True', reason: 'GarbageCollectionFailed' });
  });
});
