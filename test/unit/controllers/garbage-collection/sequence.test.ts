import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RegistryStatus, type GarbageCollectionStatus } from '../../../../src/api/v1alpha1/registry.ts';
import type { CollectorReport } from '../../../../src/controllers/registry/garbage-collection/collector-output.ts';
import {
  afterCrossCheck,
  afterVerify,
  desiredWriteGate,
  type JobObservation,
  planSequence,
  type SequenceInputs,
  type SequencePlan,
} from '../../../../src/controllers/registry/garbage-collection/sequence.ts';
import type { WriteGateReport } from '../../../../src/registry-auth/write-gate.ts';

const t0 = new Date('2026-12-01T04:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const spec = { deleteUntagged: true, suspend: false, maxReadOnlySeconds: 1800 };
const report = (blobs: number, manifests = 0): CollectorReport => ({
  blobsMarked: 10,
  blobsEligible: blobs,
  manifestsEligible: manifests,
  eligibleBlobs: Array.from({ length: blobs }, (_, index) => `sha256:${String(index).padStart(64, '0')}`),
  eligibleManifests: [],
});
const open: WriteGateReport = { gateId: null, until: null, writesInFlight: 0 };
const holding = (run: string, writesInFlight = 0): WriteGateReport => ({ gateId: run, until: at(1800).toISOString(), writesInFlight });

function inputs(overrides: Partial<SequenceInputs>): SequenceInputs {
  return {
    now: t0,
    state: {},
    spec,
    scheduledAt: at(3600),
    runNowRequest: undefined,
    problem: undefined,
    doors: [open],
    dryRun: { state: 'absent' },
    collect: { state: 'absent' },
    newRunId: () => 'r1',
    ...overrides,
  };
}

/** What the status subresource would store: the plan's state must be a valid status, and survive the round trip (an operator restart). */
function stored(plan: SequencePlan): GarbageCollectionStatus {
  return RegistryStatus.parse(JSON.parse(JSON.stringify({ garbageCollection: plan.state }))).garbageCollection!;
}

describe('planSequence', () => {
  it('waits for the schedule and says when it fires', () => {
    const plan = planSequence(inputs({}));
    expect(plan.step).toEqual({ kind: 'idle' });
    expect(plan.state.nextRunTime).toBe(at(3600).toISOString());
    expect(desiredWriteGate(plan.state, t0)).toBeUndefined();
  });

  it('starts when the schedule fires, with the gate deadline maxReadOnlyDuration ahead', () => {
    const plan = planSequence(inputs({ scheduledAt: t0 }));
    expect(plan.step).toEqual({ kind: 'start' });
    expect(stored(plan).current).toEqual({
      run: 'r1',
      phase: 'Gating',
      phaseStartTimes: { Gating: t0.toISOString() },
      startTime: t0.toISOString(),
      gateUntil: at(1800).toISOString(),
      deleteUntagged: true,
    });
    expect(desiredWriteGate(plan.state, t0)).toEqual({ id: 'r1', reason: 'garbage collection', since: t0.toISOString(), until: at(1800).toISOString() });
  });

  it('starts once per new value of the run-now annotation, even while suspended', () => {
    const plan = planSequence(inputs({ runNowRequest: 'please', spec: { ...spec, suspend: true } }));
    expect(plan.step.kind).toBe('start');
    expect(plan.state.handledRunNowRequest).toBe('please');
    const { current: _, ...afterRun } = plan.state;
    expect(planSequence(inputs({ runNowRequest: 'please', state: afterRun })).step.kind).toBe('idle');
    expect(planSequence(inputs({ scheduledAt: t0, spec: { ...spec, suspend: true } })).step.kind).toBe('idle');
  });

  it('skips a run the spec forbids, saying why, without raising the gate', () => {
    const problem = { reason: 'DeleteUntaggedUnsafe' as const, field: 'spec.garbageCollection.deleteUntagged', message: 'refused on 2.x (distribution#3178)' };
    const plan = planSequence(inputs({ scheduledAt: t0, problem }));
    expect(plan.step).toEqual({ kind: 'skip', message: problem.message });
    expect(stored(plan).lastRun).toMatchObject({ outcome: 'Skipped', message: problem.message });
    expect(desiredWriteGate(plan.state, t0)).toBeUndefined();
  });

  it('runs the dry run only once every door holds the gate and no write admitted before it still runs', () => {
    const state = stored(planSequence(inputs({ scheduledAt: t0 })));
    expect(planSequence(inputs({ state, doors: [holding('r1'), open] })).step.kind).toBe('wait');
    expect(planSequence(inputs({ state, doors: [holding('r1'), undefined] })).step.kind).toBe('wait');
    expect(planSequence(inputs({ state, doors: [holding('r1', 1)] })).step).toEqual({ kind: 'wait', what: '1 writes admitted before the gate still running' });
    const plan = planSequence(inputs({ state, doors: [holding('r1'), holding('r1')] }));
    expect(plan.step).toEqual({ kind: 'createJob', phase: 'dry-run' });
    expect(plan.state.current?.phase).toBe('DryRun');
  });

  it('goes through a whole collection and reports it when every door is open again', () => {
    let state = stored(planSequence(inputs({ scheduledAt: t0 })));
    state = stored(planSequence(inputs({ state, now: at(2), doors: [holding('r1')] })));
    expect(planSequence(inputs({ state, now: at(3), doors: [holding('r1')], dryRun: { state: 'running' } })).step.kind).toBe('wait');
    const crossCheck = planSequence(inputs({ state, now: at(20), doors: [holding('r1')], dryRun: { state: 'succeeded', report: report(5, 1) } }));
    expect(crossCheck.step).toEqual({ kind: 'crossCheck', dryRun: report(5, 1) });
    const collecting = afterCrossCheck(state, { referenced: [], tagCount: 7, bytesEligible: 4096 }, at(25));
    expect(collecting.step).toEqual({ kind: 'createJob', phase: 'collect' });
    state = stored(collecting);
    const verify = planSequence(inputs({ state, now: at(60), doors: [holding('r1')], collect: { state: 'succeeded', report: report(5, 1) } }));
    expect(verify.step.kind).toBe('verify');
    state = stored(afterVerify(state, report(5, 1), [], at(61)));
    expect(desiredWriteGate(state, at(61))).toBeUndefined();
    expect(planSequence(inputs({ state, now: at(62), doors: [holding('r1')] })).step.kind).toBe('wait');
    const finished = planSequence(inputs({ state, now: at(64), doors: [open] }));
    expect(finished.step.kind).toBe('finish');
    expect(stored(finished)).toMatchObject({
      lastRun: {
        startTime: t0.toISOString(),
        completionTime: at(64).toISOString(),
        outcome: 'Succeeded',
        blobsDeleted: 5,
        manifestsDeleted: 1,
        bytesReclaimed: 4096,
        writeGateSeconds: 64,
        // Gating 0-2 s, dry run and cross-check 2-25 s, collector and verification 25-61 s, lifting 61-64 s.
        phaseSeconds: { gating: 2, dryRun: 23, collecting: 36, lifting: 3 },
      },
    });
    expect(finished.state.current).toBeUndefined();
  });

  it('reports no phase times for a run an older operator started, which stored none', () => {
    const { phaseStartTimes: _, ...older } = stored(planSequence(inputs({ scheduledAt: t0 }))).current!;
    let state: GarbageCollectionStatus = { current: older };
    state = stored(planSequence(inputs({ state, now: at(2), doors: [holding('r1')] })));
    state = stored(planSequence(inputs({ state, now: at(3), doors: [holding('r1')], dryRun: { state: 'succeeded', report: report(0) } })));
    const finished = stored(planSequence(inputs({ state, now: at(4), doors: [open] })));
    expect(finished.lastRun).toMatchObject({ outcome: 'Succeeded', writeGateSeconds: 4 });
    expect(finished.lastRun?.phaseSeconds).toBeUndefined();
  });

  it('stops after a dry run that finds nothing, without running the collector', () => {
    const state = stored(planSequence(inputs({ state: stored(planSequence(inputs({ scheduledAt: t0 }))), doors: [holding('r1')] })));
    const plan = planSequence(inputs({ state, doors: [holding('r1')], dryRun: { state: 'succeeded', report: report(0) } }));
    expect(plan.step).toMatchObject({ kind: 'decide', outcome: 'Succeeded' });
    expect(desiredWriteGate(plan.state, t0)).toBeUndefined();
  });

  it('aborts before deleting when the cross-check finds a referenced blob, and names it', () => {
    const state = stored(planSequence(inputs({ state: stored(planSequence(inputs({ scheduledAt: t0 }))), doors: [holding('r1')] })));
    const plan = afterCrossCheck(state, { referenced: ['sha256:abc'], tagCount: 3, bytesEligible: undefined }, t0);
    expect(plan.step).toMatchObject({ kind: 'decide', outcome: 'Aborted' });
    expect(plan.state.current?.message).toContain('sha256:abc');
    expect(desiredWriteGate(plan.state, t0)).toBeUndefined();
  });

  it.each<[string, JobObservation, JobObservation]>([
    ['the dry run fails', { state: 'failed', message: 'BackoffLimitExceeded' }, { state: 'absent' }],
    ['the dry run output is unreadable', { state: 'unreadable', message: 'no summary line' }, { state: 'absent' }],
  ])('lifts the gate and fails the run when %s', (_what, dryRun, collect) => {
    const state = stored(planSequence(inputs({ state: stored(planSequence(inputs({ scheduledAt: t0 }))), doors: [holding('r1')] })));
    const plan = planSequence(inputs({ state, doors: [holding('r1')], dryRun, collect }));
    expect(plan.step).toMatchObject({ kind: 'decide', outcome: 'Failed' });
    expect(desiredWriteGate(plan.state, t0)).toBeUndefined();
  });

  it('fails the run and lifts the gate once maxReadOnlyDuration has passed, whatever phase it is in (an operator down for long)', () => {
    const state = stored(planSequence(inputs({ state: stored(planSequence(inputs({ scheduledAt: t0 }))), doors: [holding('r1')] })));
    const plan = planSequence(inputs({ state, now: at(1800), doors: [holding('r1')], dryRun: { state: 'running' } }));
    expect(plan.step).toMatchObject({ kind: 'decide', outcome: 'Failed' });
    expect(plan.state.current?.message).toContain('maxReadOnlyDuration');
  });
});

describe('the sequence under any order of events', () => {
  const job: fc.Arbitrary<JobObservation> = fc.oneof(
    fc.constant<JobObservation>({ state: 'absent' }),
    fc.constant<JobObservation>({ state: 'running' }),
    fc.constant<JobObservation>({ state: 'failed', message: 'x' }),
    fc.integer({ min: 0, max: 3 }).map((blobs): JobObservation => ({ state: 'succeeded', report: report(blobs) })),
  );
  const event = fc.record({
    advanceSeconds: fc.integer({ min: 0, max: 600 }),
    doorsHold: fc.boolean(),
    writesInFlight: fc.integer({ min: 0, max: 1 }),
    dryRun: job,
    collect: job,
    referenced: fc.boolean(),
    restart: fc.boolean(),
  });

  it('never wants the gate past its deadline, only ever holds a valid status, and ends once the doors open and time passes', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        let state: GarbageCollectionStatus = stored(planSequence(inputs({ scheduledAt: t0 })));
        let now = t0;
        const step = (doors: WriteGateReport[], dryRun: JobObservation, collect: JobObservation, referenced: boolean) => {
          let plan = planSequence(inputs({ state, now, doors, dryRun, collect, scheduledAt: at(86_400) }));
          if (plan.step.kind === 'crossCheck')
            plan = afterCrossCheck(plan.state, { referenced: referenced ? ['sha256:1'] : [], tagCount: 1, bytesEligible: 1 }, now);
          if (plan.step.kind === 'verify') plan = afterVerify(plan.state, plan.step.collected, [], now);
          state = stored(plan);
        };
        for (const happening of events) {
          now = new Date(now.getTime() + happening.advanceSeconds * 1000);
          const run = state.current?.run ?? 'none';
          const doors = [happening.doorsHold && desiredWriteGate(state, now) ? holding(run, happening.writesInFlight) : open];
          step(doors, happening.dryRun, happening.collect, happening.referenced);
          const gate = desiredWriteGate(state, now);
          if (gate !== undefined) expect(Date.parse(gate.until)).toBeLessThanOrEqual(t0.getTime() + 1800 * 1000);
          if (gate !== undefined) expect(now.getTime()).toBeLessThan(Date.parse(gate.until));
        }
        // Whatever happened: once the deadline has passed and the doors report open, the run ends and is reported.
        now = new Date(Math.max(now.getTime(), at(1800).getTime()));
        for (let index = 0; index < 3 && state.current !== undefined; index++)
          step([open], { state: 'failed', message: 'x' }, { state: 'failed', message: 'x' }, false);
        expect(state.current).toBeUndefined();
        expect(state.lastRun?.outcome).toBeDefined();
        expect(state.lastRun?.writeGateSeconds).toBeGreaterThanOrEqual(0);
        // The phases account for the whole gate (each rounded to the second on its own), starting with gating.
        const phases = state.lastRun?.phaseSeconds ?? {};
        expect(phases.gating).toBeDefined();
        const total = Object.values(phases).reduce((sum, seconds) => sum + seconds, 0);
        expect(Math.abs(total - state.lastRun!.writeGateSeconds!)).toBeLessThanOrEqual(2);
      }),
    );
  });
});
