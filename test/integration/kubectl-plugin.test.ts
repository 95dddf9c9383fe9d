import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../src/runtime/kube-client.ts';
import type { KubeObject } from '../../src/runtime/resource.ts';
import { bundledDockyardMain } from '../support/bundle.ts';
import { installDockyardCrds } from '../support/crds.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';

const run = promisify(execFile);
const registries = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'Registry', plural: 'registries', namespaced: true } as const;
const policies = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'RetentionPolicy', plural: 'retentionpolicies', namespaced: true } as const;

// `kubectl dockyard`: the bundle installed as a kubectl plugin (kubectl-dockyard on PATH), run by
// the real kubectl against objects whose status says what a person must look at.
describe('kubectl dockyard', () => {
  let namespace: string;
  let remove: () => Promise<void>;
  let client: KubeClient;
  let pluginDir: string;

  const kubectl = (...args: string[]) =>
    run('kubectl', [...args, '--kubeconfig', inject('kubeconfig')], {
      env: { ...process.env, PATH: `${pluginDir}:${dirname(process.execPath)}:${process.env['PATH']}` },
    }).catch((error: Error & { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', code: error.code }));

  beforeAll(async () => {
    const kubeConfig = adminKubeConfig();
    await installDockyardCrds(kubeConfig, 'dockyard-test');
    ({ name: namespace, remove } = await createTestNamespace(kubeConfig, 'plugin'));
    client = new KubeClient(kubeConfig);
    pluginDir = await mkdtemp(join(tmpdir(), 'dockyard-plugin-'));
    await symlink(bundledDockyardMain(), join(pluginDir, 'kubectl-dockyard'));
    await chmod(bundledDockyardMain(), 0o755);
    const create = (name: string) =>
      client.create(registries, {
        apiVersion: 'dockyard.dev/v1alpha1',
        kind: 'Registry',
        metadata: { name, namespace },
        spec: { storage: { emptyDir: {} } },
      } as KubeObject);
    for (const name of ['healthy', 'broken']) await create(name);
    const setStatus = (name: string, conditions: object[], phase: string) =>
      client.patch(registries, { namespace, name }, 'merge', { status: { observedGeneration: 1, phase, conditions } }, { subresource: 'status' });
    const at = new Date().toISOString();
    await setStatus('healthy', [{ type: 'Ready', status: 'True', reason: 'Available', message: 'serving', lastTransitionTime: at }], 'Ready');
    await setStatus(
      'broken',
      [
        { type: 'Ready', status: 'False', reason: 'SecretMissing', message: 'Secret s3 does not exist', lastTransitionTime: at },
        {
          type: 'Degraded',
          status: 'True',
          reason: 'SecretMissing',
          message: 'Secret s3 (spec.storage.s3.credentialsSecretRef) does not exist',
          lastTransitionTime: at,
        },
      ],
      'Degraded',
    );
    await client.create(policies, {
      apiVersion: 'dockyard.dev/v1alpha1',
      kind: 'RetentionPolicy',
      metadata: { name: 'nightly', namespace },
      spec: { registryRef: { name: 'healthy' }, repositories: ['**'], schedule: '@daily', rules: [{ always: true }] },
    } as KubeObject);
  });

  afterAll(async () => {
    await remove?.();
    if (pluginDir) await rm(pluginDir, { recursive: true, force: true });
  });

  it('lists every object with what needs attention first, and exits 3 because something does', async () => {
    const answer = await kubectl('dockyard', 'status', '-n', namespace);
    expect((answer as { code?: number }).code).toBe(3);
    const lines = answer.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^KIND\s+NAME\s+READY\s+STATUS\s+NEEDS ATTENTION$/);
    expect(lines[1]).toMatch(/^Registry\s+broken\s+False\s+Degraded\s+SecretMissing: Secret s3/);
    expect(lines[2]).toMatch(/^RetentionPolicy\s+nightly\s+Unknown\s+no run yet\s+not reconciled yet/);
    expect(lines[3]).toMatch(/^Registry\s+healthy\s+True\s+Ready\s+-$/);
  });

  it('answers in JSON and YAML for scripts', async () => {
    const json = JSON.parse((await kubectl('dockyard', 'status', '-n', namespace, '-o', 'json')).stdout) as {
      items: Array<{ name: string; attention: string }>;
    };
    expect(json.items.map((item) => item.name)).toEqual(['broken', 'nightly', 'healthy']);
    expect((await kubectl('dockyard', 'status', '-n', namespace, '-o', 'yaml')).stdout).toContain('name: broken');
  });

  it('starts a retention run and a garbage collection by setting their run-now annotations', async () => {
    await kubectl('dockyard', 'retention', 'run-now', 'nightly', '-n', namespace);
    await kubectl('dockyard', 'gc', 'run-now', 'healthy', '-n', namespace);
    const policy = await client.get(policies, { namespace, name: 'nightly' });
    const registry = await client.get(registries, { namespace, name: 'healthy' });
    expect(Date.parse(policy.metadata?.annotations?.['dockyard.dev/run-now'] ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(registry.metadata?.annotations?.['dockyard.dev/collect-garbage-now'] ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });
});
