import { readFile, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { adminKubeConfig, createTestNamespace } from '../../support/kube.ts';
import { OperatorProcess } from '../../support/operator-process.ts';

describe('operator start-up checks', () => {
  let namespace: string;
  let removeNamespace: () => Promise<void>;
  let unprivilegedKubeconfig: string;

  beforeAll(async () => {
    ({ name: namespace, remove: removeNamespace } = await createTestNamespace(adminKubeConfig(), 'startup'));
    // The administrator's credentials, impersonating a user that no RBAC rule mentions.
    const kubeconfig = parse(await readFile(inject('kubeconfig'), 'utf8')) as { users: Array<{ user: Record<string, unknown> }> };
    for (const { user } of kubeconfig.users) user['as'] = 'dockyard-without-rbac';
    unprivilegedKubeconfig = `${inject('kubeconfig')}.without-rbac-${namespace}`;
    await writeFile(unprivilegedKubeconfig, stringify(kubeconfig));
  });

  afterAll(async () => {
    await rm(unprivilegedKubeconfig, { force: true });
    await removeNamespace?.();
  });

  it('exits non-zero and names the CRD a registered controller needs but the cluster lacks', async () => {
    const operator = OperatorProcess.start({
      name: 'missing-crd',
      kubeconfig: inject('kubeconfig'),
      args: ['--leader-election-namespace', namespace],
      env: { DOCKYARD_TEST_REQUIRE_MISSING_CRD: '1' },
    });
    expect(await operator.waitForExit()).toEqual({ code: 1, signal: null });
    expect(operator.stderrText).toContain('CustomResourceDefinition widgets.test.dockyard.dev is not installed');
    expect(operator.count('became the leader')).toBe(0);
  });

  it('exits non-zero and names every missing verb and resource when RBAC is lacking', async () => {
    const operator = OperatorProcess.start({ name: 'no-rbac', kubeconfig: unprivilegedKubeconfig, args: ['--leader-election-namespace', namespace] });
    expect(await operator.waitForExit()).toEqual({ code: 1, signal: null });
    const stderr = operator.stderrText;
    expect(stderr).toContain('missing RBAC: cannot list configmaps in all namespaces');
    expect(stderr).toContain('missing RBAC: cannot watch configmaps in all namespaces');
    expect(stderr).toContain('missing RBAC: cannot patch configmaps in all namespaces (needed for applying derived ConfigMaps)');
    expect(stderr).toContain(`missing RBAC: cannot update leases.coordination.k8s.io in namespace ${namespace} (needed for leader election)`);
    expect(stderr).toContain('missing RBAC: cannot create events.events.k8s.io in all namespaces');
  });
});
