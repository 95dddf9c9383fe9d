import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describeReason } from '../reasons.ts';
import type { RetentionReport } from '../report.ts';
import type { RetentionRunSummary } from './run.ts';

// How a run's outcome and report travel from its Job to the policy's namespace. The Job's
// identity may only create ConfigMaps in the operator's namespace (never write into a tenant's),
// so it leaves them there, owned by its Job; the operator reads the summary and copies the parts,
// unchanged, into the policy's namespace, where the tenant can read them. One format for both.

/** The label on every report ConfigMap, staged or copied. */
export const reportComponentLabel = 'app.kubernetes.io/component';
export const reportComponent = 'retention-report';
/** On staged parts: the run's Job. On copies: the policy. */
export const reportJobLabel = 'dockyard.dev/retention-job';
export const reportPolicyLabel = 'dockyard.dev/retention-policy';
/** On every part: its position, from 1. */
export const reportPartAnnotation = 'dockyard.dev/report-part';

export const reportKeys = {
  /** In the first part: the summary and the plan sample, as JSON. */
  summary: 'summary.json',
  /** The report as JSON, when it fits in one part uncompressed. */
  plain: 'report.json',
  /** A slice of the gzip-compressed report (binaryData); the slices of parts 1..N in order make the file. */
  compressed: 'report.json.gz',
  /** How to read the report, for a person with kubectl. */
  readme: 'README',
} as const;

/**
 * A ConfigMap holds 1 MiB of data at most (the apiserver counts the decoded bytes). Parts stay
 * well below, leaving room for the summary and metadata.
 */
export const reportPartBytes = 768 * 1024;
/** `status.plan` holds this many decisions, deletions first. */
export const planSampleSize = 20;

export interface PlannedDecision {
  repository: string;
  tag?: string;
  digest: string;
  action: 'Keep' | 'Delete';
  reason: string;
}

/** What the first part's summary.json holds. */
export interface RunRecord {
  summary: RetentionRunSummary;
  plan: PlannedDecision[];
  /** How many ConfigMaps the report spans (0 when the run produced no report). */
  parts: number;
  encoding?: 'json' | 'gzip';
}

export interface ReportPart {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** A sample of the decisions for `status.plan`: deletions first, then what was kept, each with its first reason. */
export function planSample(report: RetentionReport | undefined, size = planSampleSize): PlannedDecision[] {
  if (report === undefined) return [];
  const deletions: PlannedDecision[] = [];
  const keeps: PlannedDecision[] = [];
  for (const repository of report.repositories) {
    for (const manifest of repository.manifests) {
      const bucket = manifest.action === 'Delete' ? deletions : keeps;
      if (bucket.length >= size) continue;
      const reason = manifest.reasons[0];
      bucket.push({
        repository: repository.name,
        ...(manifest.tags?.[0] !== undefined ? { tag: manifest.tags[0] } : {}),
        digest: manifest.digest,
        action: manifest.action,
        // The report's reasons carry times as text; the sentence-maker only reads kinds and names.
        reason: reason === undefined ? 'no reason recorded' : describeReason(reason as never).slice(0, 1024),
      });
    }
  }
  return [...deletions, ...keeps].slice(0, size);
}

/** The parts a run writes: the summary in the first, the report as one JSON value or as gzip slices. */
export function reportParts(summary: RetentionRunSummary, report: RetentionReport | undefined, partBytes = reportPartBytes): ReportPart[] {
  const plan = planSample(report);
  if (report === undefined) return [{ data: { [reportKeys.summary]: JSON.stringify({ summary, plan, parts: 1 } satisfies RunRecord) } }];
  const json = JSON.stringify(report);
  if (Buffer.byteLength(json) <= partBytes) {
    const record: RunRecord = { summary, plan, parts: 1, encoding: 'json' };
    return [{ data: { [reportKeys.summary]: JSON.stringify(record), [reportKeys.plain]: json, [reportKeys.readme]: readme(1, 'json') } }];
  }
  const compressed = gzipSync(json);
  const slices: Buffer[] = [];
  for (let offset = 0; offset < compressed.length; offset += partBytes) slices.push(compressed.subarray(offset, offset + partBytes));
  const record: RunRecord = { summary, plan, parts: slices.length, encoding: 'gzip' };
  return slices.map((slice, index) => ({
    ...(index === 0 ? { data: { [reportKeys.summary]: JSON.stringify(record), [reportKeys.readme]: readme(slices.length, 'gzip') } } : {}),
    binaryData: { [reportKeys.compressed]: slice.toString('base64') },
  }));
}

function readme(parts: number, encoding: 'json' | 'gzip'): string {
  if (encoding === 'json') return "The full retention report is the key report.json (kubectl get configmap NAME -o jsonpath='{.data.report\\.json}').";
  const names = parts === 1 ? 'this ConfigMap' : `this ConfigMap and the next ${parts - 1} (NAME-2 ... NAME-${parts})`;
  return `The full retention report is gzip-compressed JSON in the binaryData key report.json.gz of ${names}; concatenate them in order, then gunzip.`;
}

/** Reads the first part's summary.json, defensively: it crossed a trust boundary as data. */
export function readRunRecord(data: Record<string, string> | undefined): RunRecord | undefined {
  const text = data?.[reportKeys.summary];
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<RunRecord>;
    const summary = record.summary;
    if (typeof summary !== 'object' || summary === null || typeof summary.outcome !== 'string') return undefined;
    return {
      summary,
      plan: Array.isArray(record.plan) ? record.plan.slice(0, planSampleSize) : [],
      parts: Number(record.parts) || 0,
      ...(record.encoding ? { encoding: record.encoding } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The name of part `index` (from 1) of a report whose first part is `base`: `base`, `base-2`, ...
 * A base too long for a suffix is shortened with a hash, so distinct bases stay distinct.
 */
export function reportPartName(base: string, index: number): string {
  const suffix = index === 1 ? '' : `-${index}`;
  const limit = 253 - 4;
  const shortened = base.length <= limit ? base : `${base.slice(0, limit - 9)}-${createHash('sha256').update(base).digest('hex').slice(0, 8)}`;
  return `${shortened}${suffix}`;
}
