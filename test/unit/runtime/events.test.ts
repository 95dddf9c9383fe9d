import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventRecorder, type EventInput, type EventSeries } from '../../../src/runtime/events.ts';
import type { KubeObject } from '../../../src/runtime/resource.ts';
import { FakeClock, settle } from './fake-clock.ts';

const registry: KubeObject = {
  apiVersion: 'dockyard.dev/v1alpha1',
  kind: 'Registry',
  metadata: { name: 'main', namespace: 'team-a', uid: 'uid-1', resourceVersion: '7' },
};
const failed: EventInput = { type: 'Warning', reason: 'ApplyFailed', action: 'Reconcile', note: 'the Service could not be applied' };

function recorder(clock: FakeClock) {
  const created: KubeObject[] = [];
  const series: Array<{ name: string } & EventSeries> = [];
  const events = new EventRecorder({
    sink: {
      create: async (event) => void created.push(event),
      updateSeries: async (_namespace, name, update) => void series.push({ name, ...update }),
    },
    log: pino({ level: 'silent' }),
    reportingController: 'dockyard.dev/operator',
    reportingInstance: 'replica-a',
    clock,
    seriesWindowMs: 6 * 60_000,
    seriesHeartbeatMs: 30 * 60_000,
  });
  return { events, created, series };
}

describe('EventRecorder', () => {
  it('creates an events.k8s.io/v1 Event that names its subject and reporter', async () => {
    const clock = new FakeClock();
    const { events, created } = recorder(clock);
    events.record(registry, failed);
    await events.flush();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'team-a' },
      type: 'Warning',
      reason: 'ApplyFailed',
      action: 'Reconcile',
      note: failed.note,
      reportingController: 'dockyard.dev/operator',
      reportingInstance: 'replica-a',
      regarding: { kind: 'Registry', name: 'main', namespace: 'team-a', uid: 'uid-1' },
    });
    expect(created[0]!['eventTime']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('turns the first repeat into a series and counts later repeats without writing each', async () => {
    const clock = new FakeClock();
    const { events, created, series } = recorder(clock);
    for (let i = 0; i < 10; i++) {
      events.record(registry, failed);
      await clock.advance(1_000);
    }
    expect(created).toHaveLength(1);
    expect(series).toEqual([{ name: created[0]!.metadata!.name, count: 2, lastObservedTime: expect.any(String) }]);

    await clock.advance(30 * 60_000);
    expect(series.at(-1)).toMatchObject({ count: 10 });
    expect(series).toHaveLength(2);
    await clock.advance(30 * 60_000);
    expect(series).toHaveLength(2);
  });

  it('keeps different reasons, notes and subjects apart', async () => {
    const clock = new FakeClock();
    const { events, created } = recorder(clock);
    events.record(registry, failed);
    events.record(registry, { ...failed, note: 'another cause' });
    events.record(registry, { ...failed, reason: 'Other' });
    events.record({ ...registry, metadata: { ...registry.metadata, uid: 'uid-2' } }, failed);
    await events.flush();
    expect(created).toHaveLength(4);
  });

  it('names events recorded in the same instant differently, so none is refused as AlreadyExists', async () => {
    const clock = new FakeClock();
    const { events, created } = recorder(clock);
    for (const reason of ['Applied', 'PullSecretDistributed', 'CredentialCreated']) events.record(registry, { ...failed, reason });
    await events.flush();
    const names = created.map((event) => event.metadata?.name);
    expect(new Set(names).size).toBe(3);
  });

  it('starts a new Event when a repeat comes after the series window', async () => {
    const clock = new FakeClock();
    const { events, created, series } = recorder(clock);
    events.record(registry, failed);
    await clock.advance(6 * 60_000 + 1);
    events.record(registry, failed);
    await events.flush();
    expect(created).toHaveLength(2);
    expect(created[0]!.metadata!.name).not.toBe(created[1]!.metadata!.name);
    expect(series).toEqual([]);
  });

  it('writes pending counts on flush, after the create they belong to', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    let releaseCreate!: () => void;
    const events = new EventRecorder({
      sink: {
        create: () =>
          new Promise<void>(
            (resolve) =>
              (releaseCreate = () => {
                order.push('create');
                resolve();
              }),
          ),
        updateSeries: async (_ns, _name, update) => void order.push(`series ${update.count}`),
      },
      log: pino({ level: 'silent' }),
      reportingController: 'dockyard.dev/operator',
      reportingInstance: 'replica-a',
      clock,
    });
    events.record(registry, failed);
    events.record(registry, failed);
    events.record(registry, failed);
    await settle();
    expect(order).toEqual([]);
    releaseCreate();
    await events.flush();
    expect(order).toEqual(['create', 'series 2', 'series 3']);
  });

  it('swallows a failed write: recording never breaks a reconcile', async () => {
    const clock = new FakeClock();
    const events = new EventRecorder({
      sink: { create: async () => Promise.reject(new Error('forbidden')), updateSeries: async () => undefined },
      log: pino({ level: 'silent' }),
      reportingController: 'dockyard.dev/operator',
      reportingInstance: 'replica-a',
      clock,
    });
    expect(() => events.record(registry, failed)).not.toThrow();
    await expect(events.flush()).resolves.toBeUndefined();
  });
});
