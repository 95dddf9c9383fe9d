import { describe, expect, it } from 'vitest';
import { exposedMetricNames, metricNamesIn } from '../../support/promql-names.ts';

describe('metricNamesIn', () => {
  it.each([
    ['max by (namespace, registry) (dockyard_registry_condition{type="Ready", status!="True"}) == 1', ['dockyard_registry_condition']],
    [
      'max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes) / max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes) * on (namespace, persistentvolumeclaim) group_left (registry) max by (namespace, persistentvolumeclaim, registry) (dockyard_registry_storage_claim_info) < 0.10',
      ['kubelet_volume_stats_available_bytes', 'kubelet_volume_stats_capacity_bytes', 'dockyard_registry_storage_claim_info'],
    ],
    ['sum by (controller) (increase(dockyard_reconcile_total{result="error"}[15m])) >= 3', ['dockyard_reconcile_total']],
    ['sum(dockyard_leader) < 1 or absent(dockyard_leader)', ['dockyard_leader']],
    [
      'histogram_quantile(0.99, sum by (controller, le) (rate(dockyard_reconcile_duration_seconds_bucket[$__rate_interval])))',
      ['dockyard_reconcile_duration_seconds_bucket'],
    ],
    ['count(x{a="b or c", d=~"$namespace"}) or vector(0)', ['x']],
    ['time() - dockyard_retention_last_run_timestamp_seconds offset 5m', ['dockyard_retention_last_run_timestamp_seconds']],
    ['rate(process_cpu_seconds_total{job=~"$job"}[5m]) * 1e3', ['process_cpu_seconds_total']],
  ])('finds the metrics in %s', (expression, names) => {
    expect([...metricNamesIn(expression)].sort()).toEqual([...names].sort());
  });
});

describe('exposedMetricNames', () => {
  it('lists families without samples, the series of a histogram, and plain samples', () => {
    const exposition = [
      '# HELP dockyard_registry_condition Conditions.',
      '# TYPE dockyard_registry_condition gauge',
      '# HELP dockyard_reconcile_duration_seconds How long.',
      '# TYPE dockyard_reconcile_duration_seconds histogram',
      'dockyard_reconcile_duration_seconds_bucket{le="0.1",controller="registry"} 3',
      'untyped_sample 1',
      '',
    ].join('\n');
    const names = exposedMetricNames(exposition);
    expect([...names].sort()).toEqual(
      [
        'dockyard_registry_condition',
        'dockyard_reconcile_duration_seconds',
        'dockyard_reconcile_duration_seconds_bucket',
        'dockyard_reconcile_duration_seconds_sum',
        'dockyard_reconcile_duration_seconds_count',
        'untyped_sample',
      ].sort(),
    );
    expect(names.has('dockyard_missing')).toBe(false);
  });
});
