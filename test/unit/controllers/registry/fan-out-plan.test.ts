import { describe, expect, it } from 'vitest';
import type { Registry } from '../../../../src/api/v1alpha1/registry.ts';
import { planFanOut } from '../../../../src/controllers/registry/fan-out-plan.ts';
import { parsePullSecretSources, type RegistryControllerOptions } from '../../../../src/controllers/registry/options.ts';
import { pullSecretsConditionOf } from '../../../../src/controllers/registry/status/compose.ts';

const namespaces = [
  { metadata: { name: 'platform' } },
  { metadata: { name: 'app-1', labels: { pulls: 'yes' } } },
  { metadata: { name: 'app-2', labels: { pulls: 'yes' } } },
  { metadata: { name: 'gone', labels: { pulls: 'yes' }, deletionTimestamp: '2026-11-22T00:00:00Z' } },
  { metadata: { name: 'listed' } },
];

function registry(pullSecrets: Registry['spec']['pullSecrets']): Registry {
  return {
    apiVersion: 'dockyard.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: 'main', namespace: 'platform' },
    spec: { storage: { emptyDir: { medium: 'Disk' }, deletionPolicy: 'Retain' }, pullSecrets },
  } as Registry;
}

const options = (sources: string): RegistryControllerOptions => ({
  operatorImage: 'dockyard:test',
  clusterDomain: 'cluster.local',
  pullSecretSources: parsePullSecretSources(sources),
});

describe('planFanOut', () => {
  const spec = { namespaceSelector: { matchLabels: { pulls: 'yes' } }, namespaces: ['listed', 'not-there'] };

  it('targets the own namespace first, then selected and listed ones, skipping namespaces being deleted', () => {
    expect(planFanOut(registry(spec), namespaces, options('platform'))).toEqual({
      targets: ['platform', 'app-1', 'app-2', 'listed'],
      refused: [],
      missing: ['not-there'],
    });
  });

  it('keeps a Registry whose namespace is not a source to its own namespace and names what it refused', () => {
    expect(planFanOut(registry(spec), namespaces, options('other-team'))).toEqual({
      targets: ['platform'],
      refused: ['app-1', 'app-2', 'listed'],
      missing: ['not-there'],
    });
  });

  it("lets '*' reach everywhere and an empty flag nowhere", () => {
    expect(planFanOut(registry(spec), namespaces, options('*')).refused).toEqual([]);
    expect(planFanOut(registry(spec), namespaces, options('')).targets).toEqual(['platform']);
  });

  it('without pullSecrets, the Secret stays in the own namespace only', () => {
    expect(planFanOut(registry(undefined), namespaces, options('*')).targets).toEqual(['platform']);
  });
});

describe('the PullSecrets condition', () => {
  it('is True with the count when nothing was refused', () => {
    expect(pullSecretsConditionOf({ targets: ['a', 'b'], refused: [], missing: [] }, 'main-pull')).toMatchObject({
      status: 'True',
      message: 'main-pull is in 2 namespace(s)',
    });
  });

  it('names the flag a cluster admin sets when crossing namespaces is refused', () => {
    const condition = pullSecretsConditionOf({ targets: ['a'], refused: ['b'], missing: [] }, 'main-pull');
    expect(condition).toMatchObject({ status: 'False', reason: 'CrossNamespaceNotAllowed' });
    expect(condition.message).toContain('--pull-secret-sources');
  });

  it('names namespaces that are listed but do not exist', () => {
    expect(pullSecretsConditionOf({ targets: ['a'], refused: [], missing: ['typo'] }, 'main-pull')).toMatchObject({ reason: 'NamespaceMissing' });
  });
});
