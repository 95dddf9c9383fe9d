import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/runtime/resource.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const chart = join(root, 'charts/dockyard');

/** helm as built with the control plane; against an external cluster, whatever helm is on PATH. */
const helm = inject('binDir') ? join(inject('binDir'), 'helm') : 'helm';
const helmAvailable =
  helm === 'helm'
    ? await run('helm', ['version']).then(
        () => true,
        () => false,
      )
    : existsSync(helm);

type Container = { name: string; args?: string[]; resources?: unknown; securityContext?: unknown; readinessProbe?: unknown; livenessProbe?: unknown };
type Workload = KubeObject & { spec: { template: { spec: { containers: Container[]; securityContext?: unknown } } } };

function documents(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

function only<T extends KubeObject>(objects: KubeObject[], kind: string): T {
  const matching = objects.filter((object) => object.kind === kind);
  expect(matching, `exactly one ${kind}`).toHaveLength(1);
  return matching[0] as T;
}

function named(objects: KubeObject[], kind: string, suffix: string): KubeObject {
  const matching = objects.filter((object) => object.kind === kind && object.metadata?.name?.endsWith(suffix));
  expect(matching, `exactly one ${kind} named *${suffix}`).toHaveLength(1);
  return matching[0]!;
}

function operatorContainer(objects: KubeObject[]): Container {
  const container = only<Workload>(objects, 'Deployment').spec.template.spec.containers.find((candidate) => candidate.name === 'operator');
  expect(container, 'the operator container').toBeDefined();
  return container!;
}

// manifests/ is the install the integration tests exercise (its RBAC is what the operator runs
// with there); the chart repeats it in templates, so these tests keep the two from drifting.
describe.skipIf(!helmAvailable)('the Helm chart', () => {
  let namespace: string;
  let removeNamespace: () => Promise<void>;
  let rendered: KubeObject[];
  let manifests: KubeObject[];

  beforeAll(async () => {
    // The namespace's unique name is the release's too, so the cluster-scoped objects cannot
    // collide with another test's in the shared cluster.
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(adminKubeConfig(), 'chart'));
    const { stdout } = await run(helm, ['template', namespace, chart, '--namespace', namespace, '--set', 'pullSecretSources={team-a,team-b}']);
    rendered = documents(stdout);
    const kustomized = await Promise.all(
      ['rbac.yaml', 'deployment.yaml'].map(async (file) => documents(await readFile(join(root, 'manifests/operator', file), 'utf8'))),
    );
    manifests = kustomized.flat();
  });

  afterAll(async () => {
    await removeNamespace?.();
  });

  it('passes helm lint --strict', async () => {
    const { stdout } = await run(helm, ['lint', '--strict', chart]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  it('grants exactly the RBAC rules of manifests/, which the operator is tested with, to the operator and to retention runs', () => {
    for (const identity of ['-operator', '-retention']) {
      for (const [roleKind, bindingKind] of [
        ['ClusterRole', 'ClusterRoleBinding'],
        ['Role', 'RoleBinding'],
      ] as const) {
        expect(named(rendered, roleKind, identity)['rules']).toEqual(named(manifests, roleKind, identity)['rules']);
        const binding = named(rendered, bindingKind, identity) as KubeObject & { subjects: unknown[]; roleRef: { name: string } };
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: `${namespace}${identity}`, namespace }]);
        expect(binding.roleRef.name).toBe(named(rendered, roleKind, identity).metadata?.name);
      }
    }
    expect(operatorContainer(rendered).args).toContain(`--jobs-service-account=${namespace}-retention`);
  });

  it('runs the operator container as manifests/ does: limits, probes, security', () => {
    const fromChart = operatorContainer(rendered);
    const fromManifests = operatorContainer(manifests);
    expect(fromChart.resources).toEqual(fromManifests.resources);
    expect(fromChart.securityContext).toEqual(fromManifests.securityContext);
    expect(fromChart.readinessProbe).toEqual(fromManifests.readinessProbe);
    expect(fromChart.livenessProbe).toEqual(fromManifests.livenessProbe);
    expect(only<Workload>(rendered, 'Deployment').spec.template.spec.securityContext).toEqual(
      only<Workload>(manifests, 'Deployment').spec.template.spec.securityContext,
    );
  });

  it('turns pullSecretSources into the operator flag, and leaves it out by default', async () => {
    expect(operatorContainer(rendered).args).toContain('--pull-secret-sources=team-a,team-b');
    const { stdout } = await run(helm, ['template', namespace, chart, '--namespace', namespace]);
    expect(operatorContainer(documents(stdout)).args?.some((arg) => arg.startsWith('--pull-secret-sources'))).toBe(false);
  });

  it('refuses a values file with a typo, naming the key', async () => {
    const failure = await run(helm, ['template', namespace, chart, '--namespace', namespace, '--set', 'replicaz=3']).then(
      () => undefined,
      (error: Error & { stderr?: string }) => error.stderr ?? error.message,
    );
    expect(failure).toContain("additional properties 'replicaz' not allowed");
    const badDigest = await run(helm, ['template', namespace, chart, '--namespace', namespace, '--set', 'image.digest=latest']).then(
      () => undefined,
      (error: Error & { stderr?: string }) => error.stderr ?? error.message,
    );
    expect(badDigest).toContain("at '/image/digest'");
  });

  it('pins the operator and every Pod it starts to the digest, when given', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const { stdout } = await run(helm, ['template', namespace, chart, '--namespace', namespace, '--set', `image.digest=${digest}`]);
    const container = operatorContainer(documents(stdout));
    expect((container as { image?: string }).image).toBe(`dockyard@${digest}`);
    expect(container.args).toContain(`--image=dockyard@${digest}`);
  });

  it('keeps one operator through node drains, but not a lone replica', async () => {
    expect(only(rendered, 'PodDisruptionBudget')['spec']).toMatchObject({ minAvailable: 1 });
    const { stdout } = await run(helm, ['template', namespace, chart, '--namespace', namespace, '--set', 'replicas=1']);
    expect(documents(stdout).filter((object) => object.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  it('renders objects the apiserver accepts (server-side dry run)', async () => {
    const { stdout } = await run(helm, [
      'template',
      namespace,
      chart,
      '--namespace',
      namespace,
      '--set',
      'networkPolicy.enabled=true',
      '--set',
      'priorityClassName=system-cluster-critical',
    ]);
    const applied = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        'kubectl',
        ['apply', '--server-side', '--dry-run=server', '--field-manager=chart-test', '-f', '-'],
        { env: { ...process.env, KUBECONFIG: inject('kubeconfig') } },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
      child.stdin?.end(stdout);
    });
    expect(applied.trim().split('\n')).toHaveLength(documents(stdout).length);
  });
});
