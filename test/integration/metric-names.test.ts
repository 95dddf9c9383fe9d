import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { childNames } from '../../src/controllers/common/registry-children.ts';
import { eventually } from '../support/eventually.ts';
import { exposedMetricNames, metricNamesIn } from '../support/promql-names.ts';
import { RegistryTestbed } from './registry/testbed.ts';

const root = new URL('../../', import.meta.url).pathname;
const namespace = 'metric-names';
const retentionPolicies = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'RetentionPolicy', plural: 'retentionpolicies', namespaced: true } as const;

/**
 * Names the rules and the dashboard read that the kubelet exports, not the operator (its volume
 * statistics, for the storage alert). Listed one by one: any other name must come from /metrics.
 */
const kubeletMetrics = new Set(['kubelet_volume_stats_available_bytes', 'kubelet_volume_stats_capacity_bytes']);

type Dashboard = {
  panels: Array<{ title: string; targets?: Array<{ expr?: string }> }>;
  templating: { list: Array<{ name: string; query?: unknown }> };
};

/** Every PromQL expression of the rules file and the dashboard, with where it comes from. */
async function expressions(): Promise<Array<{ where: string; expr: string }>> {
  const rules = parse(await readFile(`${root}charts/dockyard/files/prometheus-rules.yaml`, 'utf8')) as {
    groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
  };
  const dashboard = JSON.parse(await readFile(`${root}charts/dockyard/dashboards/dockyard.json`, 'utf8')) as Dashboard;
  return [
    ...rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert ?? rule.record}`, expr: rule.expr }))),
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr ?? '' }))),
    ...dashboard.templating.list.flatMap((variable) => {
      const query = (variable.query as { query?: string } | undefined)?.query;
      // label_values(metric, label): the metric is the first argument.
      const metric = query === undefined ? undefined : /^label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(query)?.[1];
      return metric === undefined ? [] : [{ where: `variable $${variable.name}`, expr: metric }];
    }),
  ];
}

// The bundled operator (make build) with a Registry that rotates its credentials on a claim, and a
// RetentionPolicy: every metric name the alerting rules and the dashboard read must be on its
// /metrics, as a family (prom-client prints HELP and TYPE before any sample) or a sample.
describe.skipIf(inject('externalCluster'))('metric names in the alerting rules and the dashboard', () => {
  let testbed: RegistryTestbed;
  let exposition: string;

  beforeAll(async () => {
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: '' });
    await testbed.createNamespace(namespace);
    await testbed.createRegistry(namespace, 'main', {
      storage: { persistentVolumeClaim: { size: '1Gi' } },
      auth: { credentialRotation: { period: '24h', overlap: '1h' } },
    });
    await testbed.client.create(retentionPolicies, {
      apiVersion: 'dockyard.dev/v1alpha1',
      kind: 'RetentionPolicy',
      metadata: { name: 'nightly', namespace },
      spec: { registryRef: { name: 'main' }, repositories: ['**'], schedule: '@daily', rules: [{ mostRecentlyPushed: 5 }] },
    });
    const healthUrl = await testbed.operator.healthUrl();
    // Scraped once the Registry has its conditions, credentials and claim, so its series carry samples.
    exposition = await eventually(
      async () => {
        const text = await (await fetch(`${healthUrl}/metrics`)).text();
        const ready = ['dockyard_registry_condition{', 'dockyard_registry_storage_claim_info{', 'dockyard_registry_credential_published_timestamp_seconds{'];
        return ready.every((prefix) => text.includes(prefix)) ? text : undefined;
      },
      { what: "the Registry's series on /metrics", timeoutMs: 60_000 },
    );
  }, 180_000);

  afterAll(async () => {
    await testbed?.stop();
  });

  it('exports every metric the rules and the dashboard name (the kubelet volume statistics excepted, by name)', async () => {
    const exposed = exposedMetricNames(exposition);
    const used = await expressions();
    expect(used.length).toBeGreaterThan(20);
    const missing: string[] = [];
    const kubeletUsed = new Set<string>();
    for (const { where, expr } of used) {
      const names = metricNamesIn(expr);
      expect(names.size, `${where} names a metric: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        if (kubeletMetrics.has(name)) kubeletUsed.add(name);
        else if (!exposed.has(name)) missing.push(`${name} (${where})`);
      }
    }
    expect(missing).toEqual([]);
    // The exception list holds only what is used, so it cannot hide a typo.
    expect([...kubeletUsed].sort()).toEqual([...kubeletMetrics].sort());
  });

  it("exports the Registry's series with its labels, as the alerts join them", () => {
    expect(exposition).toMatch(
      new RegExp(`dockyard_registry_condition\\{namespace="${namespace}",registry="main",type="Ready",status="(True|False)",reason="\\w+"\\} 1`),
    );
    expect(exposition).toContain(
      `dockyard_registry_storage_claim_info{namespace="${namespace}",registry="main",persistentvolumeclaim="${childNames('main').claim}"} 1`,
    );
    expect(exposition).toContain(`dockyard_registry_credential_rotation_period_seconds{namespace="${namespace}",registry="main"} 86400`);
    const published = [...exposition.matchAll(/^dockyard_registry_credential_published_timestamp_seconds\{[^}]*role="(\w+)"\} (\S+)$/gm)];
    expect(published.map((match) => match[1]).sort()).toEqual(['maintainer', 'pull', 'push']);
    for (const match of published) expect(Math.abs(Number(match[2]) - Date.now() / 1000)).toBeLessThan(300);
    expect(exposition).toContain('# HELP dockyard_retention_last_run_outcome ');
  });
});
