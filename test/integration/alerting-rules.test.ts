import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const chart = join(root, 'charts/dockyard');
const rulesFile = join(chart, 'files/prometheus-rules.yaml');
const rulesTestFile = join(root, 'test/monitoring/prometheus-rules.test.yaml');
const binDir = inject('binDir');
const promtool = binDir ? join(binDir, 'promtool') : '';
const helm = binDir ? join(binDir, 'helm') : '';

type Rule = { alert?: string; expr: string; annotations?: Record<string, string> };
type RuleGroups = { groups: Array<{ name: string; rules: Rule[] }> };
type RulesTest = { tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }> };

const alerts = async () => ((parse(await readFile(rulesFile, 'utf8')) as RuleGroups).groups ?? []).flatMap((group) => group.rules).filter((rule) => rule.alert);

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

describe('the alerting rules', () => {
  it('give every alert a severity and a runbook_url that points at a section of docs/runbooks.md', async () => {
    const runbooks = await readFile(join(root, 'docs/runbooks.md'), 'utf8');
    const anchors = new Set([...runbooks.matchAll(/^#{2,3} (.+)$/gm)].map((match) => anchorOf(match[1]!)));
    const rules = await alerts();
    expect(rules.length).toBeGreaterThanOrEqual(7);
    for (const rule of rules) {
      const url = rule.annotations?.['runbook_url'] ?? '';
      expect(url, `${rule.alert}'s runbook_url`).toMatch(/\/docs\/runbooks\.md#[a-z0-9-]+$/);
      expect(anchors, `the section ${url} names`).toContain(url.slice(url.indexOf('#') + 1));
      expect((rule as { labels?: Record<string, string> }).labels?.['severity'], `${rule.alert}'s severity`).toMatch(/^(critical|warning)$/);
    }
  });

  it('have unit tests that fire every alert and show it silent on healthy series', async () => {
    const cases = (parse(await readFile(rulesTestFile, 'utf8')) as RulesTest).tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const rule of await alerts()) {
      const own = cases.filter((entry) => entry.alertname === rule.alert);
      expect(
        own.some((entry) => (entry.exp_alerts ?? []).length > 0),
        `a test that fires ${rule.alert}`,
      ).toBe(true);
      expect(
        own.some((entry) => (entry.exp_alerts ?? []).length === 0),
        `a test where ${rule.alert} stays silent`,
      ).toBe(true);
    }
  });
});

describe.skipIf(!existsSync(promtool))('promtool on the alerting rules (skipped: promtool is built by test/cluster/build-binaries.sh)', () => {
  it('finds the rules valid (promtool check rules, with its linter)', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', '--lint=all', '--lint-fatal', rulesFile]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes the unit tests (promtool test rules), and fails them when an alert is weakened', async () => {
    const { stdout } = await run(promtool, ['test', 'rules', rulesTestFile]);
    expect(stdout).toContain('SUCCESS');
    // The same tests against rules that wait longer and ignore a reason must fail: they assert timing and labels.
    const scratch = await mkdtemp(join(tmpdir(), 'dockyard-rules-'));
    try {
      const rules = await readFile(rulesFile, 'utf8');
      const weakened = rules.replace('for: 15m', 'for: 20m').replace('reason!="NoCredentials"', 'reason!="NamespaceMissing"');
      expect(weakened).not.toBe(rules);
      await writeFile(join(scratch, 'rules.yaml'), weakened);
      const tests = (await readFile(rulesTestFile, 'utf8')).replace('../../charts/dockyard/files/prometheus-rules.yaml', join(scratch, 'rules.yaml'));
      await writeFile(join(scratch, 'tests.yaml'), tests);
      const failed = await run(promtool, ['test', 'rules', join(scratch, 'tests.yaml')]).then(
        () => undefined,
        (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
      expect(failed).toContain('DockyardRegistryNotReady');
      expect(failed).toContain('DockyardPullSecretFanOutFailing');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!existsSync(helm))('the chart ships the rules and the dashboard', () => {
  const template = async (...sets: string[]) => {
    const { stdout } = await run(helm, ['template', 'mon', chart, '--namespace', 'monitoring', ...sets.flatMap((set) => ['--set', set])]);
    return parseAllDocuments(stdout)
      .map(
        (document) =>
          document.toJS() as { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: unknown; data?: Record<string, string> },
      )
      .filter((object) => object !== null);
  };

  it('renders neither PrometheusRule, ServiceMonitor nor dashboard by default', async () => {
    const kinds = (await template()).map((object) => object.kind);
    expect(kinds).not.toContain('PrometheusRule');
    expect(kinds).not.toContain('ServiceMonitor');
  });

  it('renders the rules file unchanged into the PrometheusRule, the dashboard into a labelled ConfigMap, and a ServiceMonitor on the operator Service', async () => {
    const objects = await template(
      'prometheusRule.enabled=true',
      'serviceMonitor.enabled=true',
      'grafanaDashboard.enabled=true',
      'serviceMonitor.labels.release=prom',
    );
    const rule = objects.find((object) => object.kind === 'PrometheusRule');
    expect(rule?.spec).toEqual(parse(await readFile(rulesFile, 'utf8')));
    const dashboard = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.labels?.['grafana_dashboard'] === '1');
    expect(JSON.parse(dashboard?.data?.['dockyard.json'] ?? '{}')).toEqual(JSON.parse(await readFile(join(chart, 'dashboards/dockyard.json'), 'utf8')));
    const monitor = objects.find((object) => object.kind === 'ServiceMonitor') as
      | {
          metadata: { labels: Record<string, string> };
          spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; honorLabels: boolean }> };
        }
      | undefined;
    expect(monitor?.metadata.labels['release']).toBe('prom');
    const service = objects.find((object) => object.kind === 'Service' && object.metadata.name === 'mon-operator') as
      | { metadata: { labels: Record<string, string> }; spec: { ports: Array<{ name: string }> } }
      | undefined;
    expect(service?.metadata.labels).toMatchObject(monitor!.spec.selector.matchLabels);
    expect(service?.spec.ports.map((port) => port.name)).toContain(monitor!.spec.endpoints[0]!.port);
    expect(monitor!.spec.endpoints[0]!.honorLabels).toBe(true);
  });

  it('points the runbook links at runbookBaseURL when it is set', async () => {
    const objects = await template('prometheusRule.enabled=true', 'prometheusRule.runbookBaseURL=https://docs.example.com/runbooks');
    const rule = objects.find((object) => object.kind === 'PrometheusRule') as unknown as { spec: RuleGroups };
    const urls = rule.spec.groups.flatMap((group) => group.rules).map((entry) => entry.annotations?.['runbook_url']);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toMatch(/^https:\/\/docs\.example\.com\/runbooks#dockyard[a-z]+$/);
  });
});
