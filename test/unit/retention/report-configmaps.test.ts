import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planSample, readRunRecord, reportKeys, reportPartName, reportParts } from '../../../src/retention/runner/report-configmaps.ts';
import type { RetentionReport } from '../../../src/retention/report.ts';
import type { RetentionRunSummary } from '../../../src/retention/runner/run.ts';

const summary: RetentionRunSummary = {
  outcome: 'Succeeded',
  dryRun: false,
  message: 'deleted what no rule keeps',
  evaluated: 3,
  kept: 2,
  deleted: 1,
  protected: 0,
  startTime: '2026-12-01T00:00:00.000Z',
  completionTime: '2026-12-01T00:00:05.000Z',
};

function reportWith(manifests: number, padding = 0): RetentionReport {
  return {
    format: 'dockyard.dev/retention-report/v1',
    evaluatedAt: '2026-12-01T00:00:00Z',
    outcome: 'Delete',
    message: 'ok',
    counts: { evaluated: manifests, kept: 0, deleted: manifests, protected: 0 },
    repositories: [
      {
        name: 'apps/api',
        counts: { evaluated: manifests, kept: 0, deleted: manifests, protected: 0 },
        manifests: Array.from({ length: manifests }, (_, index) => ({
          digest: `sha256:${index.toString(16).padStart(64, '0')}`,
          action: index % 3 === 0 ? ('Keep' as const) : ('Delete' as const),
          tags: [`v${index}`, 'x'.repeat(padding)],
          reasons: [{ kind: 'noRuleMatches', tag: `v${index}` } as never],
        })),
      },
    ],
  } as unknown as RetentionReport;
}

/** What a person does with kubectl: the parts' slices in order, gunzipped, or the plain key. */
function reassemble(parts: ReturnType<typeof reportParts>): unknown {
  const plain = parts[0]?.data?.[reportKeys.plain];
  if (plain !== undefined) return JSON.parse(plain);
  const compressed = Buffer.concat(parts.map((part) => Buffer.from(part.binaryData?.[reportKeys.compressed] ?? '', 'base64')));
  return JSON.parse(gunzipSync(compressed).toString('utf8'));
}

describe('report ConfigMaps', () => {
  it('keeps a small report as plain JSON in one part, with the summary and a plan sample', () => {
    const report = reportWith(5);
    const parts = reportParts(summary, report);
    expect(parts).toHaveLength(1);
    expect(reassemble(parts)).toEqual(report);
    const record = readRunRecord(parts[0]!.data);
    expect(record).toMatchObject({ summary, parts: 1, encoding: 'json' });
    expect(record?.plan.map((decision) => decision.action)).toEqual(['Delete', 'Delete', 'Delete', 'Keep', 'Keep']);
  });

  it('compresses and splits a large report into parts under the ConfigMap limit, which reassemble to the report', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1024, max: 8192 }), (manifests, partBytes) => {
        const report = reportWith(manifests, 64);
        const parts = reportParts(summary, report, partBytes);
        const json = JSON.stringify(report);
        if (Buffer.byteLength(json) <= partBytes) return parts.length === 1;
        for (const part of parts) {
          expect(Buffer.from(part.binaryData?.[reportKeys.compressed] ?? '', 'base64').length).toBeLessThanOrEqual(partBytes);
        }
        expect(readRunRecord(parts[0]!.data)?.parts).toBe(parts.length);
        expect(reassemble(parts)).toEqual(report);
        return true;
      }),
      { numRuns: 40 },
    );
  });

  it('records a run without a report (a failure before reading the registry) in one part', () => {
    const failed = { ...summary, outcome: 'Failed' as const, message: 'registry unreachable' };
    const parts = reportParts(failed, undefined);
    expect(parts).toHaveLength(1);
    expect(readRunRecord(parts[0]!.data)).toMatchObject({ summary: failed, plan: [] });
  });

  it('reads nothing from a summary that is not one', () => {
    expect(readRunRecord(undefined)).toBeUndefined();
    expect(readRunRecord({ [reportKeys.summary]: 'not json' })).toBeUndefined();
    expect(readRunRecord({ [reportKeys.summary]: '{"summary":{}}' })).toBeUndefined();
  });

  it('samples deletions first, at most 20', () => {
    const sample = planSample(reportWith(90));
    expect(sample).toHaveLength(20);
    expect(sample.every((decision) => decision.action === 'Delete')).toBe(true);
    expect(sample[0]?.reason).toContain('matches no rule');
  });

  it('names parts base, base-2, ... and keeps long bases distinct and within 253 characters', () => {
    expect(reportPartName('nightly-retention-report', 1)).toBe('nightly-retention-report');
    expect(reportPartName('nightly-retention-report', 3)).toBe('nightly-retention-report-3');
    const long = (suffix: string) => `${'a'.repeat(260)}${suffix}`;
    expect(reportPartName(long('x'), 12).length).toBeLessThanOrEqual(253);
    expect(reportPartName(long('x'), 2)).not.toBe(reportPartName(long('y'), 2));
  });
});
