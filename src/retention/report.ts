import type { Action, DecisionCounts, Evaluation, ManifestDecision } from './decisions.ts';
import { formatTime, type Reason } from './reasons.ts';

// The report of a run: every manifest with its tags, decision and reasons, as JSON. Compact: a
// tag shares its manifest's decision, so tags are listed under their manifest, not decided
// again; empty and false fields are left out; reasons stay structured (`describeReason` makes
// the sentences), with times as RFC 3339. The runner adds what happened to each deletion.

export const reportFormat = 'dockyard.dev/retention-report/v1';

type Timed<T> = { [K in keyof T]: K extends 'at' | 'since' | 'created' ? string : T[K] };
export type ReportReason = Reason extends infer R ? (R extends Reason ? Timed<R> : never) : never;

export interface ReportManifest {
  readonly digest: string;
  readonly action: Action;
  readonly tags?: readonly string[];
  readonly mediaType?: string;
  readonly size?: number;
  readonly pushedAt?: string;
  readonly protected?: true;
  readonly untagged?: true;
  readonly reasons: readonly ReportReason[];
}

export interface RetentionReport {
  readonly format: typeof reportFormat;
  readonly evaluatedAt: string;
  readonly outcome: Evaluation['outcome'];
  readonly message: string;
  readonly counts: Evaluation['counts'];
  readonly unparseableReferences?: Evaluation['unparseableReferences'];
  readonly repositories: readonly { readonly name: string; readonly counts: DecisionCounts; readonly manifests: readonly ReportManifest[] }[];
}

function reportReason(reason: Reason): ReportReason {
  // The kind first, however the engine built the reason, so a person reading the JSON sees it first.
  const copy: Record<string, unknown> = Object.assign({ kind: reason.kind } as Record<string, unknown>, reason);
  for (const field of ['at', 'since', 'created'] as const) {
    const value = copy[field];
    if (typeof value === 'number') copy[field] = formatTime(value);
    else if (value === undefined) delete copy[field];
  }
  for (const [key, value] of Object.entries(copy)) if (value === undefined) delete copy[key];
  return copy as ReportReason;
}

function reportManifest(manifest: ManifestDecision): ReportManifest {
  return {
    digest: manifest.digest,
    action: manifest.action,
    ...(manifest.tags.length > 0 ? { tags: manifest.tags } : {}),
    ...(manifest.mediaType === '' ? {} : { mediaType: manifest.mediaType }),
    ...(manifest.size === undefined ? {} : { size: manifest.size }),
    ...(manifest.pushedAt === undefined ? {} : { pushedAt: formatTime(manifest.pushedAt) }),
    ...(manifest.protected ? { protected: true as const } : {}),
    ...(manifest.untagged ? { untagged: true as const } : {}),
    reasons: manifest.reasons.map(reportReason),
  };
}

/** The evaluation as a JSON-serialisable report, in the evaluation's (deterministic) order. */
export function retentionReport(evaluation: Evaluation): RetentionReport {
  return {
    format: reportFormat,
    evaluatedAt: formatTime(evaluation.evaluatedAt),
    outcome: evaluation.outcome,
    message: evaluation.message,
    counts: evaluation.counts,
    ...(evaluation.unparseableReferences.length > 0 ? { unparseableReferences: evaluation.unparseableReferences } : {}),
    repositories: evaluation.repositories.map((repository) => ({
      name: repository.name,
      counts: repository.counts,
      manifests: repository.manifests.map(reportManifest),
    })),
  };
}
