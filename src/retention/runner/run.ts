import type { Logger } from 'pino';
import type { RegistryClient } from '../../oci/client.ts';
import { DeleteByTagUnsupportedError } from '../../oci/errors.ts';
import { errorMessage } from '../../runtime/errors.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import { deletionRequests, planDeletions, type DeletionStrategy } from '../deletion-plan.ts';
import { evaluate, policySelects, type RetentionRules } from '../evaluate.ts';
import { retentionReport, type RetentionReport } from '../report.ts';
import { nothingInUse } from '../snapshot.ts';
import { carryOutDeletions, type DeletionOutcome } from './delete.ts';
import { collectInUse, inUseSetOf } from './in-use.ts';
import { readPushRecords } from './read-records.ts';
import { readRegistrySnapshot } from './read-registry.ts';

export interface RetentionRunInput {
  rules: RetentionRules;
  dryRun: boolean;
  registry: RegistryClient;
  /** Every name the registry answers to in image references (Service DNS forms, localhost:PORT, ingress host, external host). */
  registryHosts: readonly string[];
  /** The cluster whose workloads count as in use; required when rules.keepInUse. */
  cluster: KubeClient | undefined;
  /** `auto`: untag by tag (3.x), falling back to delete by digest where the registry refuses (2.8). */
  strategy: DeletionStrategy | 'auto';
  log: Logger;
  now?: () => number;
}

/** What a run ended with: the Job's termination message and the policy's status are made of this. */
export interface RetentionRunSummary {
  outcome: 'Succeeded' | 'Failed' | 'Aborted';
  dryRun: boolean;
  message: string;
  evaluated: number;
  kept: number;
  deleted: number;
  protected: number;
  bytesReclaimed?: number;
  startTime: string;
  completionTime: string;
}

/**
 * One retention run: what the cluster runs, what the registry holds, the decisions, then the
 * deletions (unless a dry run or a safety rail says no). Safe to interrupt and to run again:
 * everything is decided afresh from the registry's current content.
 */
export async function runRetention(input: RetentionRunInput): Promise<{ summary: RetentionRunSummary; report: RetentionReport | undefined }> {
  const now = input.now ?? Date.now;
  const startTime = new Date(now()).toISOString();
  const finish = (summary: Omit<RetentionRunSummary, 'startTime' | 'completionTime' | 'dryRun'>, report?: RetentionReport) => ({
    summary: { ...summary, dryRun: input.dryRun, startTime, completionTime: new Date(now()).toISOString() },
    report,
  });
  const noCounts = { evaluated: 0, kept: 0, deleted: 0, protected: 0 };

  // In use first: if the cluster cannot be read, nothing is read from the registry either.
  let inUse = nothingInUse;
  if (input.rules.keepInUse) {
    if (input.cluster === undefined)
      return finish({ outcome: 'Aborted', message: 'keepInUse is on but no cluster was given to read workloads from; nothing was deleted', ...noCounts });
    try {
      const scan = await collectInUse(input.cluster, input.registryHosts);
      input.log.info(
        { objects: scan.counts, images: scan.byTag.size + scan.byDigest.size, unparseable: scan.unparseable.length },
        'read what the cluster runs',
      );
      for (const { reference, usedBy } of scan.unparseable)
        input.log.warn({ reference, usedBy }, 'an image reference could not be parsed; it counts as in use');
      inUse = inUseSetOf(scan);
    } catch (error) {
      return finish({ outcome: 'Aborted', message: error instanceof Error ? error.message : String(error), ...noCounts });
    }
  }

  let snapshot: Awaited<ReturnType<typeof readRegistrySnapshot>>;
  try {
    const recorded = await readPushRecords(input.registry, policySelects(input.rules));
    if (recorded.records !== undefined)
      input.log.info({ records: recorded.count, completeSince: new Date(recorded.records.completeSince).toISOString() }, 'read the push and pull records');
    else input.log.warn({ reason: recorded.reason }, "ranking by the images' created times: no push records");
    snapshot = await readRegistrySnapshot(input.registry, {
      selects: policySelects(input.rules),
      needCreatedTimes: true,
      records: recorded.records,
      onProgress: throttled((progress) => input.log.info(progress, 'reading the registry'), 10_000),
    });
  } catch (error) {
    // Nothing is decided from half a registry: no deletion, and the reason in the summary.
    return finish({ outcome: 'Failed', message: `could not read the registry, so nothing was decided or deleted: ${errorMessage(error)}`, ...noCounts });
  }
  const evaluation = evaluate(snapshot, input.rules, inUse, now());
  const report = retentionReport(evaluation);
  const counts = {
    evaluated: evaluation.counts.evaluated,
    kept: evaluation.counts.kept,
    deleted: evaluation.counts.deleted,
    protected: evaluation.counts.protected,
  };
  input.log.info({ ...counts, repositories: evaluation.counts.repositories }, evaluation.message);
  // Aborted by a safety rail: nothing was deleted, whatever the plan said (the message gives its size).
  if (evaluation.outcome === 'Aborted') return finish({ outcome: 'Aborted', message: evaluation.message, ...counts, deleted: 0 }, report);
  if (input.dryRun) return finish({ outcome: 'Succeeded', message: `dry run: ${evaluation.message}; nothing was deleted`, ...counts }, report);

  const plan = planDeletions(evaluation);
  const outcome = await deleteWithStrategy(input, plan, input.strategy);
  const bytes = plan.repositories.flatMap((repository) => repository.deletions).reduce((sum, deletion) => sum + (deletion.size ?? 0), 0);
  if (outcome.failed.length > 0) {
    const [first] = outcome.failed;
    return finish(
      {
        outcome: 'Failed',
        message: `${outcome.failed.length} repositories stopped at a failed delete (first: ${first!.request.repository}: ${first!.error}); ${outcome.done} requests done, ${outcome.skipped} left for the next run`,
        ...counts,
        deleted: outcome.manifestsDone,
      },
      report,
    );
  }
  return finish({ outcome: 'Succeeded', message: `deleted ${plan.manifests} manifests (${plan.tags} tags)`, ...counts, bytesReclaimed: bytes }, report);
}

async function deleteWithStrategy(
  input: RetentionRunInput,
  plan: ReturnType<typeof planDeletions>,
  strategy: DeletionStrategy | 'auto',
): Promise<DeletionOutcome> {
  if (strategy !== 'auto') return carryOutDeletions(input.registry, deletionRequests(plan, strategy), progressLog(input.log));
  const untagged = await carryOutDeletions(input.registry, deletionRequests(plan, 'untagByTag'), progressLog(input.log));
  if (!untagged.failed.some(({ cause }) => cause instanceof DeleteByTagUnsupportedError)) return untagged;
  // distribution 2.x refuses a DELETE by tag (400): carry out the whole plan by digest instead.
  // Requests are idempotent (an absent manifest counts as done), so what the first pass did stands.
  input.log.info('the registry deletes by digest only (distribution 2.x); deleting by digest');
  const byDigest = await carryOutDeletions(input.registry, deletionRequests(plan, 'byDigest'), progressLog(input.log));
  return { ...byDigest, done: byDigest.done + untagged.done };
}

function progressLog(log: Logger) {
  return { onDone: throttled((outcome: DeletionOutcome) => log.info({ done: outcome.done, alreadyGone: outcome.alreadyGone }, 'deleting'), 10_000) };
}

/** Calls `action` at most once per `intervalMs`: progress lines, not a line per request. */
function throttled<T>(action: (value: T) => void, intervalMs: number): (value: T) => void {
  let last = 0;
  return (value) => {
    const at = Date.now();
    if (at - last < intervalMs) return;
    last = at;
    action(value);
  };
}
