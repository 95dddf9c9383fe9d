import type { GarbageCollectionStatus } from '../../../api/v1alpha1/registry.ts';
import type { WriteGate, WriteGateReport } from '../../../registry-auth/write-gate.ts';
import type { CollectorPhase } from '../../common/registry-children.ts';
import type { CollectionProblem } from './collection-problems.ts';
import { crossCheck, type IndependentMark } from './independent-mark.ts';
import { afterCrossCheck, afterVerify, desiredWriteGate, type JobObservation, planSequence, type SequenceStep } from './sequence.ts';

/**
 * One pass of the garbage collection sequence with its I/O: plan from the stored state and what
 * the ports observe, store the next state first, then act. The Registry controller implements the
 * ports with Kubernetes (the auth Secret, the registry Pods' doors, Jobs and their logs); tests
 * implement them with local processes. Either way the state stored before each action is what a
 * restarted operator resumes from.
 */
export interface CollectionPorts {
  loadState(): Promise<GarbageCollectionStatus>;
  /** Stores the state durably (the Registry's status); it must be stored before the action it precedes. */
  saveState(state: GarbageCollectionStatus): Promise<void>;
  /** Puts the gate (or none) where every door reads it (the auth Secret). */
  writeGate(gate: WriteGate | undefined): Promise<void>;
  /** One report per registry Pod; undefined for a door that did not answer. */
  readDoors(): Promise<Array<WriteGateReport | undefined>>;
  /** After readDoors: which doors did not answer and why, for the message of a run that times out waiting on them. */
  describeDoors?(): string | undefined;
  observeJob(run: string, phase: CollectorPhase): Promise<JobObservation>;
  createJob(run: string, phase: CollectorPhase, deleteUntagged: boolean, deadline: Date): Promise<void>;
  /** Stops the run's Jobs (past the deadline, or after a failure). */
  stopJobs(run: string): Promise<void>;
  mark(): Promise<IndependentMark>;
  /** The bytes the eligible blobs take, as far as the registry tells their sizes (a lower bound). */
  measureBlobs?(blobs: readonly string[], mark: IndependentMark): Promise<number | undefined>;
  verify(before: IndependentMark): Promise<string[]>;
}

export interface CollectionSettings {
  spec: { deleteUntagged: boolean; suspend: boolean; maxReadOnlySeconds: number } | undefined;
  scheduledAt: Date | undefined;
  runNowRequest: string | undefined;
  problem: CollectionProblem | undefined;
  newRunId: () => string;
}

export interface AdvanceResult {
  step: SequenceStep;
  state: GarbageCollectionStatus;
  /** How soon to look again: soon while a run is under way, never when idle (the schedule's time is in the state). */
  requeueAfterMs: number | undefined;
}

/**
 * The mark taken at the cross-check, kept for the verification after the collection. Held in
 * memory only: after an operator restart between the two, the verification marks again (while
 * the gate still holds, nothing but the collector changed the registry), and reports against the
 * tag count stored in the state.
 */
export class MarkMemory {
  private readonly marks = new Map<string, IndependentMark>();
  get(run: string): IndependentMark | undefined {
    return this.marks.get(run);
  }
  set(run: string, mark: IndependentMark): void {
    this.marks.clear();
    this.marks.set(run, mark);
  }
}

export async function advanceCollection(ports: CollectionPorts, settings: CollectionSettings, now: Date, memory: MarkMemory): Promise<AdvanceResult> {
  const state = await ports.loadState();
  const current = state.current;
  const [doors, dryRun, collect] = await Promise.all([
    current !== undefined ? ports.readDoors() : Promise.resolve([]),
    current?.phase === 'DryRun' ? ports.observeJob(current.run, 'dry-run') : Promise.resolve<JobObservation>({ state: 'absent' }),
    current?.phase === 'Collecting' ? ports.observeJob(current.run, 'collect') : Promise.resolve<JobObservation>({ state: 'absent' }),
  ]);
  let plan = planSequence({ now, state, ...settings, doors, doorsNote: ports.describeDoors?.(), dryRun, collect });

  if (plan.step.kind === 'crossCheck') {
    const mark = await ports.mark();
    memory.set(plan.state.current!.run, mark);
    const referenced = crossCheck(plan.step.dryRun, mark);
    const bytesEligible = referenced.length === 0 ? await ports.measureBlobs?.(plan.step.dryRun.eligibleBlobs, mark) : undefined;
    // The checks take time of their own (minutes at 10,000 blobs): the next phase starts when they end.
    plan = afterCrossCheck(plan.state, { referenced, tagCount: mark.tags.size, bytesEligible }, new Date());
  } else if (plan.step.kind === 'verify') {
    const run = plan.state.current!.run;
    const before = memory.get(run) ?? (await ports.mark());
    const unresolved = await ports.verify(before);
    const expectedTags = plan.state.current!.tagCount;
    if (expectedTags !== undefined && before.tags.size !== expectedTags) {
      unresolved.push(`${expectedTags - before.tags.size} of the ${expectedTags} tags marked before the collection`);
    }
    plan = afterVerify(plan.state, plan.step.collected, unresolved, new Date());
  }

  // The state first: an operator that stops after this line resumes from it.
  if (JSON.stringify(plan.state) !== JSON.stringify(state)) await ports.saveState(plan.state);
  const next = plan.state.current;
  await ports.writeGate(desiredWriteGate(plan.state, now));
  if (plan.step.kind === 'createJob' && next !== undefined) {
    await ports.createJob(next.run, plan.step.phase, next.deleteUntagged, new Date(next.gateUntil));
  }
  // A Succeeded run's Jobs are done and keep their logs; any other decision stops what still runs.
  if (plan.step.kind === 'decide' && plan.step.outcome !== 'Succeeded' && current !== undefined) await ports.stopJobs(current.run);
  const requeueAfterMs = plan.state.current !== undefined ? (plan.step.kind === 'wait' ? 2_000 : 200) : undefined;
  return { step: plan.step, state: plan.state, requeueAfterMs };
}
