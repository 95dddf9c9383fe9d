import type { RetentionPolicyStatus } from '../../api/v1alpha1/retention-policy.ts';
import type { CacheGauge, CacheReader } from '../../runtime/controller.ts';
import type { GaugeSample } from '../../runtime/metrics.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import type { RetentionTargets } from './resources.ts';

const outcomes = ['Succeeded', 'Failed', 'Aborted'] as const;

/**
 * Retention metrics, read from each policy's status at scrape time: the status is the one record
 * of a run, so the metrics cannot disagree with it, and a policy's series go when it goes. Labels
 * are the policy's namespace and name (one series per policy; outcome adds three).
 */
export function retentionGauges(targets: RetentionTargets): CacheGauge[] {
  const perPolicy = (caches: CacheReader, value: (lastRun: NonNullable<RetentionPolicyStatus['lastRun']>) => number | undefined): GaugeSample[] => {
    const samples: GaugeSample[] = [];
    for (const policy of caches.cache<KubeObject & { status?: RetentionPolicyStatus }>(targets.retentionPolicies).list()) {
      const lastRun = policy.status?.lastRun;
      const measured = lastRun === undefined ? undefined : value(lastRun);
      if (measured === undefined) continue;
      samples.push({ labels: { namespace: policy.metadata?.namespace ?? '', policy: policy.metadata?.name ?? '' }, value: measured });
    }
    return samples;
  };
  const labelNames = ['namespace', 'policy'] as const;
  return [
    {
      name: 'dockyard_retention_last_run_timestamp_seconds',
      help: 'When the last retention run of a policy ended (started, while it runs), as Unix time.',
      labelNames,
      samples: (caches) => perPolicy(caches, (run) => Date.parse(run.completionTime ?? run.startTime) / 1000),
    },
    {
      name: 'dockyard_retention_deleted_manifests',
      help: 'Manifests the last finished retention run of a policy deleted (in a dry run, would have deleted).',
      labelNames,
      samples: (caches) => perPolicy(caches, (run) => run.deleted),
    },
    {
      name: 'dockyard_retention_protected_manifests',
      help: 'Manifests the last finished retention run of a policy kept only because they are in use or under the floor.',
      labelNames,
      samples: (caches) => perPolicy(caches, (run) => run.protected),
    },
    {
      name: 'dockyard_retention_last_run_outcome',
      help: 'Outcome of the last finished retention run of a policy: 1 for its outcome (Succeeded, Failed or Aborted), 0 for the others.',
      labelNames: [...labelNames, 'outcome'],
      samples: (caches) =>
        perPolicy(caches, (run) => (run.outcome === undefined ? undefined : 1)).flatMap((sample) => {
          const policy = caches
            .cache<KubeObject & { status?: RetentionPolicyStatus }>(targets.retentionPolicies)
            .get(`${sample.labels['namespace']}/${sample.labels['policy']}`);
          const current = policy?.status?.lastRun?.outcome;
          return outcomes.map((outcome) => ({ labels: { ...sample.labels, outcome }, value: outcome === current ? 1 : 0 }));
        }),
    },
  ];
}
