import { describe, expect, it } from 'vitest';
import type { Registry } from '../../../../src/api/v1alpha1/registry.ts';
import { registryDeployment } from '../../../../src/controllers/registry/builders/deployment.ts';
import { registryDisruptionBudget } from '../../../../src/controllers/registry/builders/disruption-budget.ts';
import { specProblems } from '../../../../src/controllers/registry/builders/spec-problems.ts';
import { deriveRegistryStatus } from '../../../../src/controllers/registry/status/managed.ts';
import { deploymentInputs, registry } from '../../../support/registries.ts';

const s3 = { s3: { bucket: 'images', region: 'eu-central-1', credentialsSecretRef: { name: 'object-store' } } };

/** A Registry as an older CRD (without the replicas rule) would have stored it: the schema would refuse it now. */
function storedEarlier(spec: Record<string, unknown>, replicas: number): Registry {
  const valid = registry(spec);
  return { ...valid, spec: { ...valid.spec, replicas } };
}

describe('a registry with several replicas', () => {
  it('spreads the Pods over nodes when the storage is shared, as a preference that never leaves a replica unscheduled', () => {
    for (const storage of [s3, { persistentVolumeClaim: { size: '1Gi', accessMode: 'ReadWriteMany' } }]) {
      const deployment = registryDeployment(registry({ replicas: 3, storage }), deploymentInputs);
      expect(deployment.spec?.template.spec?.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: deployment.spec?.selector.matchLabels },
        },
      ]);
    }
  });

  it('keeps the spread when scaled down to one replica, so scaling does not replace running Pods', () => {
    const one = registryDeployment(registry({ replicas: 1, storage: s3 }), deploymentInputs);
    const three = registryDeployment(registry({ replicas: 3, storage: s3 }), deploymentInputs);
    expect(one.spec?.template).toEqual(three.spec?.template);
  });

  it('does not spread a registry whose storage belongs to one Pod', () => {
    for (const storage of [{ emptyDir: {} }, { persistentVolumeClaim: { size: '1Gi' } }]) {
      expect(registryDeployment(registry({ storage }), deploymentInputs).spec?.template.spec?.topologySpreadConstraints).toBeUndefined();
    }
  });

  it('lets a drain evict one replica at a time, selecting exactly the Deployment Pods', () => {
    const shared = registry({ replicas: 2, storage: s3 });
    const budget = registryDisruptionBudget(shared);
    expect(budget?.metadata).toMatchObject({ name: 'main-registry', namespace: 'team-a' });
    expect(budget?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Registry', name: 'main', controller: true });
    expect(budget?.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: registryDeployment(shared, deploymentInputs).spec?.selector.matchLabels },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  it('has no disruption budget with one replica', () => {
    expect(registryDisruptionBudget(registry({ storage: s3 }))).toBeUndefined();
    expect(registryDisruptionBudget(registry({ replicas: 1, storage: s3 }))).toBeUndefined();
  });

  it('is refused on a ReadWriteOnce claim with a problem that names spec.replicas and says why', () => {
    const problems = specProblems(storedEarlier({ storage: { persistentVolumeClaim: { size: '1Gi' } } }, 2));
    expect(problems).toEqual([{ field: 'spec.replicas', message: expect.stringContaining('accessMode ReadWriteOnce attaches to one node') }]);
    expect(problems[0]?.message).toMatch(/^2 replicas need storage they all share/);
  });

  it('is refused on emptyDir, whose images each Pod would keep for itself', () => {
    expect(specProblems(storedEarlier({ storage: { emptyDir: {} } }, 3))[0]?.message).toContain('each Pod would keep images of its own');
  });

  it('reports the refusal as Degraded/InvalidSpec with that message', () => {
    const refused = storedEarlier({ storage: { persistentVolumeClaim: { size: '1Gi', accessMode: 'ReadWriteOncePod' } } }, 2);
    const status = deriveRegistryStatus(
      refused,
      { deployment: undefined, service: undefined, claim: undefined, nodeProxy: undefined, secretExists: () => true, certManagerInstalled: true },
      { clusterDomain: 'cluster.local' },
    );
    const degraded = status.conditions.find((condition) => condition.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(degraded?.message).toContain('spec.replicas: 2 replicas need storage they all share, and a persistentVolumeClaim with accessMode ReadWriteOncePod');
  });

  it('finds nothing wrong with several replicas on shared storage', () => {
    expect(specProblems(registry({ replicas: 3, storage: s3 }))).toEqual([]);
    expect(specProblems(registry({ replicas: 3, storage: { persistentVolumeClaim: { size: '1Gi', accessMode: 'ReadWriteMany' } } }))).toEqual([]);
  });
});
