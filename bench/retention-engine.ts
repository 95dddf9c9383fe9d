// The retention engine on a synthetic registry of 100,000 tags (issue 12): how long evaluate()
// takes, how much heap its decisions hold, and what the plan, the JSON report and the table
// cost on top. Pure computation: no registry, no cluster.
//   node bench/retention-engine.ts [repositories=100] [tagsPerRepository=1000] [runs=5]
import { availableParallelism, loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RetentionPolicySpec } from '../src/api/v1alpha1/retention-policy.ts';
import { deletionRequests, planDeletions } from '../src/retention/deletion-plan.ts';
import { evaluate } from '../src/retention/evaluate.ts';
import { renderPlanTable } from '../src/retention/plan-table.ts';
import { retentionReport } from '../src/retention/report.ts';
import { syntheticRegistry } from './support/synthetic-registry.ts';

function count(argument: string | undefined, fallback: number): number {
  const value = Number(argument ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`expected a positive integer, got ${JSON.stringify(argument)}`);
  return value;
}

const repositories = count(process.argv[2], 100);
const tagsPerRepository = count(process.argv[3], 1000);
const runs = count(process.argv[4], 5);

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const heapMiB = () => {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const now = Date.parse('2026-12-01T12:00:00Z');
const policy = RetentionPolicySpec.parse({
  registryRef: { name: 'main' },
  repositories: ['team-*/**'],
  schedule: '0 3 * * *',
  rules: [
    { tags: ['v*', 'build-*'], mostRecentlyPushed: 10 },
    { tags: ['release-*', 'latest'], always: true },
    { pulledWithin: '720h' },
    { tags: ['build-*'], pushedWithin: '2160h' },
  ],
  minTagsPerRepository: 3,
  maxDeletionsPerRun: 100000,
});

const heapBefore = heapMiB();
const registry = syntheticRegistry({ repositories, tagsPerRepository, now, inUsePerRepository: 20 });
const heapWithSnapshot = heapMiB();

const times: number[] = [];
const cpuTimes: number[] = [];
let evaluation = evaluate(registry.snapshot, policy, registry.inUse, now); // warm-up
for (let run = 0; run < runs; run++) {
  evaluation = undefined as unknown as typeof evaluation;
  collectGarbage();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  evaluation = evaluate(registry.snapshot, policy, registry.inUse, now);
  times.push(performance.now() - started);
  const cpu = process.cpuUsage(cpuStarted);
  cpuTimes.push((cpu.user + cpu.system) / 1000);
}
const heapWithEvaluation = heapMiB();
const peakRssAfterEvaluateMiB = (process.resourceUsage().maxRSS / 1024).toFixed(1);

const timed = <T>(work: () => T): [T, number] => {
  const started = performance.now();
  const result = work();
  return [result, performance.now() - started];
};
const [plan, planMs] = timed(() => planDeletions(evaluation));
const [requests] = timed(() => deletionRequests(plan, 'untagByTag'));
const [json, reportMs] = timed(() => JSON.stringify(retentionReport(evaluation)));
const [gzipped, gzipMs] = timed(() => gzipSync(json));
const [table, tableMs] = timed(() => renderPlanTable(evaluation));

times.sort((a, b) => a - b);
cpuTimes.sort((a, b) => a - b);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const { counts } = evaluation;
console.log(
  `snapshot: ${repositories} repositories, ${registry.tags} tags, ${registry.manifests} manifests, ${registry.inUse.references.length} references in use ` +
    `(${(heapWithSnapshot - heapBefore).toFixed(1)} MiB of heap)`,
);
console.log(
  `decisions: ${counts.evaluated} evaluated, ${counts.kept} kept, ${counts.deleted} manifests (${counts.tagsDeleted} tags) to delete, ` +
    `${counts.protected} protected; ${requests.length} requests when untagging by tag`,
);
console.log(
  `evaluate(): min ${times[0]!.toFixed(0)} ms, median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms over ${runs} runs ` +
    `(${((times[Math.floor(times.length / 2)]! / registry.tags) * 1000).toFixed(1)} µs per tag); ` +
    `CPU time (user + system, garbage collection included) median ${cpuTimes[Math.floor(cpuTimes.length / 2)]!.toFixed(0)} ms; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
);
console.log(
  `heap held by the evaluation: ${(heapWithEvaluation - heapWithSnapshot).toFixed(1)} MiB; peak RSS: ${peakRssAfterEvaluateMiB} MiB after ${runs + 1} evaluations, ` +
    `${mib(process.resourceUsage().maxRSS * 1024)} MiB after the report and table`,
);
console.log(
  `planDeletions(): ${planMs.toFixed(0)} ms; report: ${mib(json.length)} MiB of JSON (${mib(gzipped.length)} MiB gzipped) in ${reportMs.toFixed(0)} ms + ${gzipMs.toFixed(0)} ms gzip; table: ${mib(table.length)} MiB in ${tableMs.toFixed(0)} ms`,
);
