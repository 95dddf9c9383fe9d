// What a retention run holds in memory at 100,000 tags, for the memory limit of its Job: the
// snapshot, one evaluation, the JSON report and the ConfigMap parts it leaves, all at once, as in
// `dockyard retention run`. Each size runs in a fresh process (peak RSS is per process), once
// with no heap limit and once with the heap Node picks under the Job's default memory limit.
//   node bench/retention-run-memory.ts [tags=100000]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RetentionPolicySpec } from '../src/api/v1alpha1/retention-policy.ts';
import { defaultRunResources } from '../src/controllers/retention-policy/cron-job.ts';
import { evaluate } from '../src/retention/evaluate.ts';
import { retentionReport } from '../src/retention/report.ts';
import { reportParts } from '../src/retention/runner/report-configmaps.ts';
import { syntheticRegistry } from './support/synthetic-registry.ts';

const tags = Number(process.argv[2] ?? 100_000);
const tagsPerRepository = 1000;

if (process.env['RETENTION_RUN_MEMORY_CHILD'] === '1') {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const policy = RetentionPolicySpec.parse({
    registryRef: { name: 'main' },
    repositories: ['team-*/**'],
    schedule: '0 3 * * *',
    rules: [
      { tags: ['v*', 'build-*'], mostRecentlyPushed: 10 },
      { tags: ['release-*', 'latest'], always: true },
    ],
    minTagsPerRepository: 3,
    maxDeletionsPerRun: 100000,
  });
  const registry = syntheticRegistry({ repositories: Math.max(1, Math.round(tags / tagsPerRepository)), tagsPerRepository, now, inUsePerRepository: 20 });
  const evaluation = evaluate(registry.snapshot, policy, registry.inUse, now);
  const report = retentionReport(evaluation);
  const summary = {
    outcome: 'Succeeded' as const,
    dryRun: true,
    message: '',
    evaluated: 0,
    kept: 0,
    deleted: 0,
    protected: 0,
    startTime: '',
    completionTime: '',
  };
  const parts = reportParts(summary, report);
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ tags: registry.tags, parts: parts.length, maxRssMiB }));
} else {
  const limitMiB = Number.parseInt(defaultRunResources.limits.memory, 10);
  const measure = (heapFlags: string[]) => {
    const output = execFileSync(process.execPath, [...heapFlags, fileURLToPath(import.meta.url), String(tags)], {
      env: { ...process.env, RETENTION_RUN_MEMORY_CHILD: '1' },
      encoding: 'utf8',
    });
    return JSON.parse(output) as { tags: number; parts: number; maxRssMiB: number };
  };
  const free = measure([]);
  // In the image, NODE_OPTIONS caps the heap at three quarters of the container's limit (see the
  // Dockerfile); this machine sets no limit, so the bench gives the same cap by hand.
  const bounded = measure([`--max-old-space-size=${Math.floor(limitMiB * 0.75)}`]);
  console.log(
    `retention run at ${free.tags} tags: peak RSS ${free.maxRssMiB.toFixed(0)} MiB with no heap limit, ${bounded.maxRssMiB.toFixed(0)} MiB with old space capped at 75% of ${limitMiB} MiB ` +
      `(report in ${free.parts} ConfigMap parts); the Job's default limit is ${limitMiB} MiB: ${(limitMiB / bounded.maxRssMiB).toFixed(2)}x the bounded peak`,
  );
}
