import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { KubeObject, ResourceType } from '../runtime/resource.ts';

export const statusUsage = `dockyard status [-n NAMESPACE | -A] [-o table|json|yaml] [--kubeconfig FILE]
      Every Registry, RetentionPolicy and ImageRepository, with what needs attention first.
      Exits 3 when something needs attention, so scripts can tell. As a kubectl plugin
      (kubectl-dockyard on PATH): kubectl dockyard status -A.`;

const group = 'dockyard.dev';
const version = 'v1alpha1';
const kinds: ResourceType[] = [
  { group, version, kind: 'Registry', plural: 'registries', namespaced: true },
  { group, version, kind: 'RetentionPolicy', plural: 'retentionpolicies', namespaced: true },
  { group, version, kind: 'ImageRepository', plural: 'imagerepositories', namespaced: true },
];

type Condition = { type?: string; status?: string; reason?: string; message?: string };
type Observed = KubeObject & {
  status?: {
    conditions?: Condition[];
    phase?: string;
    observedGeneration?: number;
    lastRun?: { outcome?: string; completionTime?: string };
    nextRunTime?: string;
  };
};

export interface StatusLine {
  kind: string;
  namespace: string;
  name: string;
  ready: 'True' | 'False' | 'Unknown';
  /** Empty when nothing needs a person. */
  attention: string;
  summary: string;
}

/** One line per object: Ready, and the first thing a person must act on (Degraded, or Ready=False, or not yet observed). */
export function statusLine(kind: string, object: Observed): StatusLine {
  const conditions = object.status?.conditions ?? [];
  const find = (type: string) => conditions.find((condition) => condition.type === type);
  const ready = find('Ready');
  const degraded = find('Degraded');
  const stale = object.status?.observedGeneration !== undefined && object.status.observedGeneration !== object.metadata?.generation;
  const attention =
    degraded?.status === 'True'
      ? `${degraded.reason}: ${degraded.message ?? ''}`
      : ready?.status === 'False'
        ? `${ready.reason}: ${ready.message ?? ''}`
        : ready === undefined
          ? 'not reconciled yet: is the operator running?'
          : stale
            ? 'the operator has not seen the latest spec yet'
            : '';
  const summary =
    kind === 'Registry'
      ? (object.status?.phase ?? '')
      : kind === 'RetentionPolicy'
        ? [
            object.status?.lastRun?.outcome ? `last run ${object.status.lastRun.outcome}` : 'no run yet',
            object.status?.nextRunTime ? `next ${object.status.nextRunTime}` : '',
          ]
            .filter(Boolean)
            .join(', ')
        : (ready?.reason ?? '');
  return {
    kind,
    namespace: object.metadata?.namespace ?? '',
    name: object.metadata?.name ?? '',
    ready: ready?.status === 'True' || ready?.status === 'False' ? ready.status : 'Unknown',
    attention: attention.replaceAll('\n', ' ').trim(),
    summary,
  };
}

/** What needs attention first, then by kind, namespace and name. */
export function sortLines(lines: StatusLine[]): StatusLine[] {
  return [...lines].sort(
    (a, b) =>
      Number(b.attention !== '') - Number(a.attention !== '') ||
      a.kind.localeCompare(b.kind) ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name),
  );
}

export function renderTable(lines: StatusLine[], allNamespaces: boolean): string {
  if (lines.length === 0) return 'No Dockyard objects found.';
  const header = [...(allNamespaces ? ['NAMESPACE'] : []), 'KIND', 'NAME', 'READY', 'STATUS', 'NEEDS ATTENTION'];
  const rows = lines.map((line) => [
    ...(allNamespaces ? [line.namespace] : []),
    line.kind,
    line.name,
    line.ready,
    line.summary || '-',
    line.attention.length > 100 ? `${line.attention.slice(0, 99)}…` : line.attention || '-',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('   ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}

export async function statusCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A', default: false },
      output: { type: 'string', short: 'o', default: 'table' },
      kubeconfig: { type: 'string' },
    },
  });
  const output = values.output;
  if (output !== 'table' && output !== 'json' && output !== 'yaml') throw new Error(`--output must be table, json or yaml, not ${JSON.stringify(output)}`);
  const [{ loadKubeConfig }, { KubeClient }] = await Promise.all([import('../kube-config.ts'), import('../runtime/kube-client.ts')]);
  const kubeConfig = loadKubeConfig(values.kubeconfig);
  const client = new KubeClient(kubeConfig);
  const allNamespaces = values['all-namespaces'];
  const namespace = allNamespaces ? undefined : (values.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default');
  const lines: StatusLine[] = [];
  for (const kind of kinds) {
    let continueToken: string | undefined;
    do {
      const page = await client.list<Observed>(kind, { namespace, limit: 500, ...(continueToken ? { continueToken } : {}) });
      for (const object of page.items) lines.push(statusLine(kind.kind, object));
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
  }
  const sorted = sortLines(lines);
  if (output === 'json') process.stdout.write(`${JSON.stringify({ items: sorted }, null, 2)}\n`);
  else if (output === 'yaml') process.stdout.write(stringify({ items: sorted }));
  else process.stdout.write(`${renderTable(sorted, allNamespaces)}\n`);
  return sorted.some((line) => line.attention !== '') ? 3 : 0;
}
