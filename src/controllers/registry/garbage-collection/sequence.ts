import { collectionPhases, type GarbageCollectionStatus } from '../../../api/v1alpha1/registry.ts';
import type { WriteGate, WriteGateReport } from '../../../registry-auth/write-gate.ts';
import type { CollectorPhase } from '../../common/registry-children.ts';
import type { CollectionProblem } from './collection-problems.ts';
import type { CollectorReport } from './collector-output.ts';

/**
 * The garbage collection sequence as a pure function: from the durable state (the Registry's
 * status.garbageCollection), what the spec asks and what the world shows now (the doors' gate
 * reports, the collector Jobs), the one next step and the state after it. The reconcile does the
 * step's I/O and writes the state back before anything else, so an operator that restarts at
 * any point finds the run where it left it: it resumes, or, past the gate's deadline, fails the
 * run and lifts the gate. The door enforces the deadline on its own too, so no path leaves a
 * registry read-only.
 *
 *   (idle) --due--> Gating --every door holds the gate, no write running--> DryRun
 *   DryRun --Job done, something eligible, cross-check clean--> Collecting
 *   Collecting --Job done, every tag verified--> Lifting (Succeeded)
 *   any failure, the cross-check finding a referenced blob, or the deadline --> Lifting
 *   Lifting --every door open--> (idle), lastRun written
 */
export type InProgress = NonNullable<GarbageCollectionStatus['current']>;
export type LastRun = NonNullable<GarbageCollectionStatus['lastRun']>;

export type JobObservation =
  | { state: 'absent' }
  | { state: 'running' }
  | { state: 'failed'; message: string }
  | { state: 'succeeded'; report: CollectorReport }
  /** Succeeded, but its output could not be read or parsed. */
  | { state: 'unreadable'; message: string };

export interface SequenceInputs {
  now: Date;
  state: GarbageCollectionStatus;
  spec: { deleteUntagged: boolean; suspend: boolean; maxReadOnlySeconds: number } | undefined;
  /** When the schedule fires next after the last run (or after `now` when there was none). */
  scheduledAt: Date | undefined;
  /** The dockyard.dev/collect-garbage-now annotation. */
  runNowRequest: string | undefined;
  problem: CollectionProblem | undefined;
  /** One report per registry Pod; undefined for a door that did not answer. */
  doors: Array<WriteGateReport | undefined>;
  /** Which doors did not answer and why, for the message of a run that waited on them. */
  doorsNote?: string | undefined;
  dryRun: JobObservation;
  collect: JobObservation;
  /** A new run id, used when a run starts. */
  newRunId: () => string;
}

export type SequenceStep =
  | { kind: 'idle' }
  | { kind: 'start' }
  | { kind: 'skip'; message: string }
  | { kind: 'wait'; what: string }
  | { kind: 'createJob'; phase: CollectorPhase }
  | { kind: 'crossCheck'; dryRun: CollectorReport }
  | { kind: 'verify'; collected: CollectorReport }
  | { kind: 'decide'; outcome: 'Succeeded' | 'Failed' | 'Aborted'; message: string }
  | { kind: 'finish'; lastRun: LastRun };

export interface SequencePlan {
  step: SequenceStep;
  /** The status to write before the step's I/O. */
  state: GarbageCollectionStatus;
}

/** The gate the auth Secret should hold for this state: up from the start of a run until it is decided. */
export function desiredWriteGate(state: GarbageCollectionStatus, now: Date): WriteGate | undefined {
  const current = state.current;
  if (current === undefined || current.phase === 'Lifting' || Date.parse(current.gateUntil) <= now.getTime()) return undefined;
  return { id: current.run, reason: 'garbage collection', since: current.startTime, until: current.gateUntil };
}

export function planSequence(inputs: SequenceInputs): SequencePlan {
  const { now, state } = inputs;
  const current = state.current;
  if (current === undefined) return planIdle(inputs);
  const decided = (outcome: 'Succeeded' | 'Failed' | 'Aborted', message: string, counts: Partial<InProgress> = {}): SequencePlan => ({
    step: { kind: 'decide', outcome, message },
    state: { ...state, current: { ...entering(current, 'Lifting', now), ...counts, outcome, message } },
  });

  if (current.phase !== 'Lifting' && Date.parse(current.gateUntil) <= now.getTime()) {
    const waitedOn = current.phase === 'Gating' && inputs.doorsNote !== undefined ? `: ${inputs.doorsNote}` : '';
    return decided(
      'Failed',
      `not done within maxReadOnlyDuration (gate deadline ${current.gateUntil}) during ${current.phase}; the collector was stopped${waitedOn}`.slice(0, 1024),
    );
  }
  switch (current.phase) {
    case 'Gating': {
      const holding = inputs.doors.filter((report) => report?.gateId === current.run);
      const busy = inputs.doors.reduce((sum, report) => sum + (report?.writesInFlight ?? 0), 0);
      if (inputs.doors.length === 0 || holding.length < inputs.doors.length) {
        return { step: { kind: 'wait', what: `${holding.length} of ${inputs.doors.length} doors hold the write gate` }, state };
      }
      if (busy > 0) return { step: { kind: 'wait', what: `${busy} writes admitted before the gate still running` }, state };
      return { step: { kind: 'createJob', phase: 'dry-run' }, state: { ...state, current: entering(current, 'DryRun', now) } };
    }
    case 'DryRun': {
      const job = inputs.dryRun;
      if (job.state === 'absent') return { step: { kind: 'createJob', phase: 'dry-run' }, state };
      if (job.state === 'running') return { step: { kind: 'wait', what: 'the dry run' }, state };
      if (job.state === 'failed') return decided('Failed', `the dry run failed: ${job.message}`);
      if (job.state === 'unreadable') return decided('Failed', `the dry run's output could not be read: ${job.message}`);
      if (job.report.blobsEligible === 0 && job.report.manifestsEligible === 0) {
        return decided('Succeeded', `nothing to collect (${job.report.blobsMarked} blobs in use)`, { blobsDeleted: 0, manifestsDeleted: 0, bytesReclaimed: 0 });
      }
      return { step: { kind: 'crossCheck', dryRun: job.report }, state };
    }
    case 'Collecting': {
      const job = inputs.collect;
      if (job.state === 'absent') return { step: { kind: 'createJob', phase: 'collect' }, state };
      if (job.state === 'running') return { step: { kind: 'wait', what: 'the collector' }, state };
      if (job.state === 'failed') return decided('Failed', `the collector failed: ${job.message}`);
      if (job.state === 'unreadable') return decided('Failed', `the collector's output could not be read: ${job.message}`);
      return { step: { kind: 'verify', collected: job.report }, state };
    }
    case 'Lifting': {
      const stillGated = inputs.doors.filter((report) => report?.gateId === current.run).length;
      if (stillGated > 0) return { step: { kind: 'wait', what: `${stillGated} doors still hold the write gate` }, state };
      const lastRun: LastRun = {
        startTime: current.startTime,
        completionTime: now.toISOString(),
        outcome: current.outcome ?? 'Failed',
        message: current.message ?? 'ended without a recorded outcome',
        ...(current.blobsDeleted !== undefined ? { blobsDeleted: current.blobsDeleted } : {}),
        ...(current.manifestsDeleted !== undefined ? { manifestsDeleted: current.manifestsDeleted } : {}),
        ...(current.bytesReclaimed !== undefined ? { bytesReclaimed: current.bytesReclaimed } : {}),
        writeGateSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(current.startTime)) / 1000)),
        ...(current.phaseStartTimes !== undefined ? { phaseSeconds: phaseSeconds(current.phaseStartTimes, now) } : {}),
      };
      const { current: _done, ...rest } = state;
      return { step: { kind: 'finish', lastRun }, state: { ...rest, lastRun } };
    }
  }
}

/** The state after the reconcile's cross-check: on to the collector, or aborted before anything was deleted. */
export function afterCrossCheck(
  state: GarbageCollectionStatus,
  result: { referenced: string[]; tagCount: number; bytesEligible: number | undefined },
  now: Date,
): SequencePlan {
  const current = state.current!;
  if (result.referenced.length > 0) {
    const sample = result.referenced.slice(0, 3).join(', ');
    const message = `aborted before deleting: the dry run would delete ${result.referenced.length} blobs that tagged images reference (${sample}${result.referenced.length > 3 ? ', ...' : ''})`;
    return {
      step: { kind: 'decide', outcome: 'Aborted', message },
      state: { ...state, current: { ...entering(current, 'Lifting', now), outcome: 'Aborted', message } },
    };
  }
  return {
    step: { kind: 'createJob', phase: 'collect' },
    state: {
      ...state,
      current: {
        ...entering(current, 'Collecting', now),
        tagCount: result.tagCount,
        ...(result.bytesEligible !== undefined ? { bytesReclaimed: result.bytesEligible } : {}),
      },
    },
  };
}

/** The state after the reconcile verified every tag: Succeeded with the counts, or Failed saying what no longer resolves. */
export function afterVerify(state: GarbageCollectionStatus, collected: CollectorReport, unresolved: string[], now: Date): SequencePlan {
  const current = state.current!;
  const counts = { blobsDeleted: collected.blobsEligible, manifestsDeleted: collected.manifestsEligible };
  if (unresolved.length > 0) {
    const message = `collected, but ${unresolved.length} references no longer resolve: ${unresolved.slice(0, 3).join(', ')}${unresolved.length > 3 ? ', ...' : ''}`;
    return {
      step: { kind: 'decide', outcome: 'Failed', message },
      state: { ...state, current: { ...entering(current, 'Lifting', now), ...counts, outcome: 'Failed', message } },
    };
  }
  const message = `deleted ${collected.blobsEligible} blobs and ${collected.manifestsEligible} manifests; every tag resolves`;
  return {
    step: { kind: 'decide', outcome: 'Succeeded', message },
    state: { ...state, current: { ...entering(current, 'Lifting', now), ...counts, outcome: 'Succeeded', message } },
  };
}

function planIdle(inputs: SequenceInputs): SequencePlan {
  const { now, state, spec } = inputs;
  const nextRunTime = inputs.scheduledAt?.toISOString();
  const withNext: GarbageCollectionStatus = { ...state, ...(nextRunTime !== undefined ? { nextRunTime } : {}) };
  if (nextRunTime === undefined) delete withNext.nextRunTime;
  if (spec === undefined) return { step: { kind: 'idle' }, state: withNext };
  const requested = inputs.runNowRequest !== undefined && inputs.runNowRequest !== state.handledRunNowRequest;
  const scheduled = !spec.suspend && inputs.scheduledAt !== undefined && inputs.scheduledAt.getTime() <= now.getTime();
  if (!requested && !scheduled) return { step: { kind: 'idle' }, state: withNext };
  const handled = requested ? { handledRunNowRequest: inputs.runNowRequest } : {};
  if (inputs.problem !== undefined) {
    const lastRun: LastRun = {
      startTime: now.toISOString(),
      completionTime: now.toISOString(),
      outcome: 'Skipped',
      message: inputs.problem.message.slice(0, 1024),
    };
    return { step: { kind: 'skip', message: inputs.problem.message }, state: { ...withNext, ...handled, lastRun } };
  }
  const gateUntil = new Date(now.getTime() + spec.maxReadOnlySeconds * 1000);
  const current: InProgress = {
    run: inputs.newRunId(),
    phase: 'Gating',
    phaseStartTimes: { Gating: now.toISOString() },
    startTime: now.toISOString(),
    gateUntil: gateUntil.toISOString(),
    deleteUntagged: spec.deleteUntagged,
  };
  return { step: { kind: 'start' }, state: { ...withNext, ...handled, current } };
}

type Phase = InProgress['phase'];
const phaseKeys = { Gating: 'gating', DryRun: 'dryRun', Collecting: 'collecting', Lifting: 'lifting' } as const;

function entering(current: InProgress, phase: Phase, now: Date): InProgress {
  // A run stored by an operator that kept no start times gets none now: half a record would mislead.
  if (current.phaseStartTimes === undefined) return { ...current, phase };
  return { ...current, phase, phaseStartTimes: { ...current.phaseStartTimes, [phase]: now.toISOString() } };
}

/** Seconds from each phase's start to the next phase entered (the run's end for the last): phases a run skipped have none. */
function phaseSeconds(starts: NonNullable<InProgress['phaseStartTimes']>, end: Date): NonNullable<LastRun['phaseSeconds']> {
  const entered = collectionPhases.flatMap((phase) => (starts[phase] !== undefined ? [{ phase, at: Date.parse(starts[phase]) }] : []));
  const seconds: NonNullable<LastRun['phaseSeconds']> = {};
  entered.forEach(({ phase, at }, index) => {
    const until = entered[index + 1]?.at ?? end.getTime();
    seconds[phaseKeys[phase]] = Math.max(0, Math.round((until - at) / 1000));
  });
  return seconds;
}
