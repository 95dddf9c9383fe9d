import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GarbageCollectionStatus } from '../../../../src/api/v1alpha1/registry.ts';
import { describeSilentDoors } from '../../../../src/controllers/registry/garbage-collection/door-reports.ts';
import { garbageCollectionGauges } from '../../../../src/controllers/registry/garbage-collection/metrics.ts';
import {
  collectGarbageNowAnnotation,
  collectionSpec,
  runNowDecision,
  scheduledCollectionAt,
} from '../../../../src/controllers/registry/garbage-collection/schedule.ts';
import { targets } from '../../../../src/controllers/registry/resources.ts';
import { storedWithCollection, withGarbageCollection } from '../../../../src/controllers/registry/status/garbage-collection.ts';
import type { ConditionUpdate } from '../../../../src/runtime/conditions.ts';
import type { CacheReader } from '../../../../src/runtime/controller.ts';
import type { KubeObject } from '../../../../src/runtime/resource.ts';
import { ObjectStore } from '../../../../src/runtime/store.ts';
import { registry } from '../../../support/registries.ts';

const storage = { persistentVolumeClaim: { size: '1Gi' } };
const withCollection = (collection: Record<string, unknown>, annotations?: Record<string, string>) => {
  const subject = registry({ storage, garbageCollection: { schedule: '0 4 * * *', ...collection } });
  return annotations === undefined ? subject : { ...subject, metadata: { ...subject.metadata, annotations } };
};
const running: GarbageCollectionStatus['current'] = {
  run: 'abc12',
  phase: 'DryRun',
  startTime: '2026-12-01T04:00:00.000Z',
  gateUntil: '2026-12-01T04:30:00.000Z',
  deleteUntagged: false,
};

describe('the garbage collection schedule', () => {
  const now = new Date('2026-12-01T10:00:00Z');

  it('fires after the last run, so a run missed while the operator was down starts once', () => {
    const lastRun = { startTime: '2026-11-28T04:00:00.000Z', outcome: 'Succeeded' as const };
    expect(scheduledCollectionAt(withCollection({}), { lastRun }, now)?.toISOString()).toBe('2026-11-29T04:00:00.000Z');
    const today = { startTime: '2026-12-01T04:00:00.000Z', outcome: 'Succeeded' as const };
    expect(scheduledCollectionAt(withCollection({}), { lastRun: today }, now)?.toISOString()).toBe('2026-12-02T04:00:00.000Z');
  });

  it('keeps the time it announced before any run, until it is due, and announces anew when the schedule changed', () => {
    const announced = { nextRunTime: '2026-12-01T04:00:00.000Z' };
    expect(scheduledCollectionAt(withCollection({}), announced, now)?.toISOString()).toBe('2026-12-01T04:00:00.000Z');
    expect(scheduledCollectionAt(withCollection({ schedule: '30 5 * * *' }), announced, now)?.toISOString()).toBe('2026-12-02T05:30:00.000Z');
    expect(scheduledCollectionAt(withCollection({}), {}, now)?.toISOString()).toBe('2026-12-02T04:00:00.000Z');
  });

  it('has no time while suspended or without spec.garbageCollection', () => {
    expect(scheduledCollectionAt(withCollection({ suspend: true }), {}, now)).toBeUndefined();
    expect(scheduledCollectionAt(registry({ storage }), {}, now)).toBeUndefined();
  });

  it('reads maxReadOnlyDuration in seconds, 30 minutes by default', () => {
    expect(collectionSpec(withCollection({}))).toEqual({ deleteUntagged: false, suspend: false, maxReadOnlySeconds: 1800 });
    expect(collectionSpec(withCollection({ maxReadOnlyDuration: '1h30m', deleteUntagged: true }))?.maxReadOnlySeconds).toBe(5400);
  });
});

describe('run now', () => {
  it('starts once per value, and refuses a new value while a run is under way', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        fc.boolean(),
        (value, handled, busy) => {
          const state: GarbageCollectionStatus = { ...(handled !== undefined ? { handledRunNowRequest: handled } : {}), ...(busy ? { current: running } : {}) };
          const decision = runNowDecision(withCollection({}, { [collectGarbageNowAnnotation]: value }), state);
          if (value === handled) expect(decision.kind).toBe('none');
          else if (busy) expect(decision).toMatchObject({ kind: 'refuse', request: value, message: expect.stringContaining('run abc12 is under way') });
          else expect(decision).toEqual({ kind: 'start', request: value });
        },
      ),
    );
    expect(runNowDecision(withCollection({}), {}).kind).toBe('none');
  });
});

describe('the status of a Registry with garbage collection', () => {
  const serving = {
    phase: 'Ready' as const,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'Available', message: '1 of 1' },
      { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'nothing needs attention' },
    ] satisfies ConditionUpdate[],
  };
  const find = (conditions: ConditionUpdate[], type: string) => conditions.find((condition) => condition.type === type);

  it('adds nothing to a Registry that never collected', () => {
    expect(withGarbageCollection(serving, { enabled: false, state: {}, refusal: undefined })).toBe(serving);
  });

  it('is in Maintenance while a run holds the gate, still Ready for pulls', () => {
    const status = withGarbageCollection(serving, { enabled: true, state: { current: running }, refusal: undefined });
    expect(status.phase).toBe('Maintenance');
    expect(find(status.conditions, 'Maintenance')).toMatchObject({
      status: 'True',
      reason: 'GarbageCollecting',
      message: expect.stringContaining(running!.gateUntil),
    });
    expect(find(status.conditions, 'Ready')?.status).toBe('True');
    expect(status.garbageCollection).toEqual({ current: running });
  });

  it('is Degraded with the run’s reason after a failed or aborted run, until one succeeds', () => {
    for (const [outcome, reason] of [
      ['Failed', 'GarbageCollectionFailed'],
      ['Aborted', 'GarbageCollectionAborted'],
    ] as const) {
      const lastRun = { startTime: '2026-12-01T04:00:00.000Z', outcome, message: 'the collector failed: exit code 1' };
      const status = withGarbageCollection(serving, { enabled: true, state: { lastRun }, refusal: undefined });
      expect(status.phase).toBe('Degraded');
      expect(find(status.conditions, 'Degraded')).toMatchObject({ status: 'True', reason, message: expect.stringContaining('exit code 1') });
      expect(find(status.conditions, 'GarbageCollection')).toMatchObject({ status: 'False', reason });
      expect(find(status.conditions, 'Maintenance')?.status).toBe('False');
    }
    const succeeded = withGarbageCollection(serving, {
      enabled: true,
      state: { lastRun: { startTime: '2026-12-02T04:00:00.000Z', outcome: 'Succeeded', message: 'deleted 3 blobs' } },
      refusal: undefined,
    });
    expect(succeeded.phase).toBe('Ready');
    expect(find(succeeded.conditions, 'Degraded')?.status).toBe('False');
    expect(find(succeeded.conditions, 'GarbageCollection')).toMatchObject({ status: 'True', reason: 'LastRunSucceeded' });
  });

  it('leaves a more fundamental Degraded reason in place, and says why runs are refused', () => {
    const stuck = {
      phase: 'Degraded' as const,
      conditions: [{ type: 'Degraded', status: 'True', reason: 'RolloutStuck', message: 'stuck' }] satisfies ConditionUpdate[],
    };
    const status = withGarbageCollection(stuck, {
      enabled: true,
      state: { lastRun: { startTime: '2026-12-01T04:00:00.000Z', outcome: 'Failed' } },
      refusal: { reason: 'DeleteUntaggedUnsafe', message: 'use a 3.x image' },
    });
    expect(find(status.conditions, 'Degraded')).toMatchObject({ reason: 'RolloutStuck' });
    expect(find(status.conditions, 'GarbageCollection')).toMatchObject({ status: 'False', reason: 'DeleteUntaggedUnsafe' });
    expect(status.phase).toBe('Degraded');
  });
});

describe('the status stored before a step of the sequence', () => {
  const at = '2026-12-01T00:00:00Z';
  const ready = {
    phase: 'Ready' as const,
    endpoint: 'main.team-a.svc:5000',
    conditions: [
      { type: 'Ready', status: 'True' as const, reason: 'Available', message: '1 of 1', lastTransitionTime: at },
      { type: 'Degraded', status: 'False' as const, reason: 'AsExpected', message: 'nothing needs attention', lastTransitionTime: at },
    ],
  };
  const type = (status: { conditions?: Array<{ type: string }> }, name: string) => status.conditions?.find((condition) => condition.type === name);

  it('never says a run is under way, or failed, while its conditions say otherwise', () => {
    const gated = storedWithCollection(ready, { enabled: true, state: { current: running }, refusal: undefined });
    expect(gated).toMatchObject({ phase: 'Maintenance', endpoint: 'main.team-a.svc:5000', garbageCollection: { current: running } });
    expect(type(gated, 'Maintenance')).toMatchObject({ status: 'True', reason: 'GarbageCollecting' });

    const lastRun = { startTime: running!.startTime, outcome: 'Failed' as const, message: 'no door answered' };
    const failed = storedWithCollection(gated, { enabled: true, state: { lastRun }, refusal: undefined });
    expect(failed.phase).toBe('Degraded');
    expect(type(failed, 'Degraded')).toMatchObject({ status: 'True', reason: 'GarbageCollectionFailed', message: expect.stringContaining('no door answered') });
    expect(type(failed, 'Maintenance')).toMatchObject({ status: 'False' });
    expect(failed.garbageCollection?.current).toBeUndefined();

    const succeeded = storedWithCollection(failed, {
      enabled: true,
      state: { lastRun: { ...lastRun, startTime: '2026-12-02T04:00:00.000Z', outcome: 'Succeeded' } },
      refusal: undefined,
    });
    expect(succeeded.phase).toBe('Ready');
    expect(type(succeeded, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(type(succeeded, 'Ready')).toEqual(ready.conditions[0]);
  });
});

describe('silent doors', () => {
  it('names the Pods that did not report, and none when all did', () => {
    const report = { gateId: 'abc12', until: running!.gateUntil, writesInFlight: 0 };
    expect(describeSilentDoors([{ pod: 'main-registry-a', report }])).toBeUndefined();
    expect(
      describeSilentDoors([
        { pod: 'main-registry-a', report },
        { pod: 'main-registry-b', report: undefined, problem: 'no answer within 3000 ms' },
      ]),
    ).toBe('1 of 2 registry Pods did not report the write gate: main-registry-b (no answer within 3000 ms)');
  });
});

describe('garbage collection metrics', () => {
  const caches = (registries: KubeObject[]): CacheReader => {
    const store = new ObjectStore<KubeObject>();
    store.replaceAll(registries);
    return {
      cache: <U extends KubeObject>(target: unknown) => {
        if (target !== targets.registries) throw new Error('not a watched target');
        return store as unknown as ObjectStore<U>;
      },
    };
  };
  const object = (name: string, spec: object, status?: object): KubeObject =>
    ({ apiVersion: 'dockyard.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace: 'team-a' }, spec, ...(status ? { status } : {}) }) as KubeObject;
  const samples = (name: string, registries: KubeObject[]) => [
    ...garbageCollectionGauges()
      .find((gauge) => gauge.name === name)!
      .samples(caches(registries)),
  ];

  it('reports the last run and the gate per Registry with garbage collection, and nothing for the others', () => {
    const registries = [
      object('plain', { storage }),
      object(
        'collected',
        { storage, garbageCollection: { schedule: '0 4 * * *' } },
        {
          garbageCollection: {
            lastRun: { startTime: '2026-12-01T04:00:00Z', completionTime: '2026-12-01T04:01:40Z', outcome: 'Failed', blobsDeleted: 0, writeGateSeconds: 100 },
            current: running,
          },
        },
      ),
      object('fresh', { storage, garbageCollection: { schedule: '0 4 * * *' } }),
    ];
    const labels = (registryName: string, extra: object = {}) => ({ namespace: 'team-a', registry: registryName, ...extra });
    expect(samples('dockyard_gc_last_run_timestamp_seconds', registries)).toEqual([
      { labels: labels('collected'), value: Date.parse('2026-12-01T04:01:40Z') / 1000 },
    ]);
    expect(samples('dockyard_gc_last_run_outcome', registries).filter((sample) => sample.value === 1)).toEqual([
      { labels: labels('collected', { outcome: 'Failed' }), value: 1 },
    ]);
    expect(samples('dockyard_gc_last_run_outcome', registries)).toHaveLength(4);
    expect(samples('dockyard_gc_write_gate_active', registries)).toEqual([
      { labels: labels('collected'), value: 1 },
      { labels: labels('fresh'), value: 0 },
    ]);
    expect(samples('dockyard_gc_write_gate_seconds', registries)).toEqual([{ labels: labels('collected'), value: 100 }]);
    expect(samples('dockyard_gc_bytes_reclaimed', registries)).toEqual([]);
  });
});
