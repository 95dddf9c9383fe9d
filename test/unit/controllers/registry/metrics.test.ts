import { describe, expect, it } from 'vitest';
import { registryGauges } from '../../../../src/controllers/registry/metrics.ts';
import { targets } from '../../../../src/controllers/registry/resources.ts';
import { childNames, registryNameLabel } from '../../../../src/controllers/common/registry-children.ts';
import { authSecretData, ensureAuthMaterial, readAuthSecret } from '../../../../src/registry-auth/auth-secret.ts';
import { planCredentials } from '../../../../src/registry-auth/credential-plan.ts';
import type { CacheReader } from '../../../../src/runtime/controller.ts';
import type { WatchTarget } from '../../../../src/runtime/list-watch-source.ts';
import type { KubeObject } from '../../../../src/runtime/resource.ts';
import { ObjectStore } from '../../../../src/runtime/store.ts';

const created = new Date('2026-03-01T00:00:00Z');
const hour = 3_600_000;

function cachesOf(contents: Map<WatchTarget, KubeObject[]>): CacheReader {
  const stores = new Map<WatchTarget, ObjectStore<KubeObject>>();
  for (const [target, objects] of contents) {
    const store = new ObjectStore<KubeObject>();
    store.replaceAll(objects);
    stores.set(target, store);
  }
  return {
    cache: <U extends KubeObject>(target: WatchTarget) => {
      const store = stores.get(target);
      if (store === undefined) throw new Error('not a watched target');
      return store as unknown as ObjectStore<U>;
    },
  };
}

function samplesOf(caches: CacheReader, name: string) {
  const gauge = registryGauges().find((candidate) => candidate.name === name);
  if (gauge === undefined) throw new Error(`no gauge ${name}`);
  return [...gauge.samples(caches)];
}

function registry(name: string, namespace: string, extra: { spec?: object; status?: object } = {}): KubeObject {
  return {
    apiVersion: 'dockyard.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name, namespace, generation: 1 },
    spec: { storage: { emptyDir: {} } },
    ...extra,
  } as KubeObject;
}

/** The auth Secret as the controller writes it: identities planned at `times` in turn (a rotation needs two plans). */
function authSecret(name: string, namespace: string, times: Date[], rotation?: { period: string; overlap: string }): KubeObject {
  let plan = planCredentials({ identities: undefined, known: {}, rotation, rotationRequest: undefined, now: times[0]! });
  for (const now of times.slice(1)) {
    plan = planCredentials({ identities: plan.identities, known: plan.credentials, rotation, rotationRequest: undefined, now });
  }
  const material = ensureAuthMaterial(readAuthSecret(undefined), times[0]!, 'test');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: childNames(name).auth, namespace },
    data: authSecretData({ ...material, identities: plan.identities }),
  } as KubeObject;
}

describe('Registry metrics', () => {
  it('export each condition with its status and reason, and nothing for a Registry without status or with a malformed one', () => {
    const caches = cachesOf(
      new Map<WatchTarget, KubeObject[]>([
        [
          targets.registries,
          [
            registry('main', 'team-a', {
              status: {
                conditions: [
                  { type: 'Ready', status: 'False', reason: 'StorageUnbound' },
                  { type: 'PullSecrets', status: 'True', reason: 'Distributed' },
                ],
              },
            }),
            registry('fresh', 'team-b'),
            registry('odd', 'team-c', { status: { conditions: 'not a list' } }),
            registry('half', 'team-d', { status: { conditions: [null, { type: 'Ready' }, { type: 'Degraded', status: 'True' }] } }),
          ],
        ],
      ]),
    );
    expect(samplesOf(caches, 'dockyard_registry_condition')).toEqual([
      { labels: { namespace: 'team-a', registry: 'main', type: 'Ready', status: 'False', reason: 'StorageUnbound' }, value: 1 },
      { labels: { namespace: 'team-a', registry: 'main', type: 'PullSecrets', status: 'True', reason: 'Distributed' }, value: 1 },
      { labels: { namespace: 'team-d', registry: 'half', type: 'Degraded', status: 'True', reason: '' }, value: 1 },
    ]);
  });

  it("name each Registry's storage claim, and no other claim that carries the label", () => {
    const claim = (name: string, registryName: string | undefined): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: 'team-a', ...(registryName ? { labels: { [registryNameLabel]: registryName } } : {}) },
    });
    const caches = cachesOf(
      new Map([[targets.claims, [claim(childNames('main').claim, 'main'), claim('scratch', 'main'), claim(childNames('other').claim, undefined)]]]),
    );
    expect(samplesOf(caches, 'dockyard_registry_storage_claim_info')).toEqual([
      { labels: { namespace: 'team-a', registry: 'main', persistentvolumeclaim: 'main-registry-data' }, value: 1 },
    ]);
  });

  it('report when each role got its current credential, which moves on at a rotation, and the rotation period only where rotation is on', () => {
    const rotation = { period: '1h', overlap: '30m' };
    // Planned at creation, again after the period (a credential is staged), and once the propagation delay passed (published).
    const rotatedAt = new Date(created.getTime() + hour + 10 * 60_000);
    const caches = cachesOf(
      new Map<WatchTarget, KubeObject[]>([
        [
          targets.registries,
          [registry('rotating', 'team-a', { spec: { storage: { emptyDir: {} }, auth: { credentialRotation: rotation } } }), registry('still', 'team-b')],
        ],
        [
          targets.secrets,
          [authSecret('rotating', 'team-a', [created, new Date(created.getTime() + hour), rotatedAt], rotation), authSecret('still', 'team-b', [created])],
        ],
      ]),
    );
    const published = samplesOf(caches, 'dockyard_registry_credential_published_timestamp_seconds');
    expect(published).toHaveLength(6);
    for (const role of ['pull', 'push', 'maintainer']) {
      expect(published).toContainEqual({ labels: { namespace: 'team-a', registry: 'rotating', role }, value: rotatedAt.getTime() / 1000 });
      expect(published).toContainEqual({ labels: { namespace: 'team-b', registry: 'still', role }, value: created.getTime() / 1000 });
    }
    expect(samplesOf(caches, 'dockyard_registry_credential_rotation_period_seconds')).toEqual([
      { labels: { namespace: 'team-a', registry: 'rotating' }, value: 3600 },
    ]);
  });

  it('apply the default period when credentialRotation is present but empty, and export no credential for a Registry without an auth Secret', () => {
    const caches = cachesOf(
      new Map<WatchTarget, KubeObject[]>([
        [targets.registries, [registry('defaults', 'team-a', { spec: { storage: { emptyDir: {} }, auth: { credentialRotation: {} } } })]],
        [targets.secrets, []],
      ]),
    );
    expect(samplesOf(caches, 'dockyard_registry_credential_rotation_period_seconds')).toEqual([
      { labels: { namespace: 'team-a', registry: 'defaults' }, value: 720 * 3600 },
    ]);
    expect(samplesOf(caches, 'dockyard_registry_credential_published_timestamp_seconds')).toEqual([]);
  });
});
