import type { V1ServiceAccount } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { imagePullSecretsPatch } from '../../../../src/controllers/registry/builders/service-account-pull-secret.ts';
import type { JsonPatchOperation } from '../../../../src/runtime/finalizers.ts';

const account = (imagePullSecrets?: { name: string }[]): V1ServiceAccount => ({
  metadata: { name: 'default', namespace: 'team-a' },
  ...(imagePullSecrets !== undefined ? { imagePullSecrets } : {}),
});

/** What the apiserver does with a JSON Patch of these operations (RFC 6902, plus its null test of an absent member). */
function applyPatch(serviceAccount: V1ServiceAccount, patch: JsonPatchOperation[]): V1ServiceAccount {
  let list = serviceAccount.imagePullSecrets === undefined ? undefined : structuredClone(serviceAccount.imagePullSecrets);
  for (const operation of patch) {
    if (operation.op === 'test') {
      if (JSON.stringify(list ?? null) !== JSON.stringify(operation.value)) throw new Error('test failed');
    } else if (operation.op === 'add' && operation.path === '/imagePullSecrets') {
      list = operation.value as { name: string }[];
    } else if (operation.op === 'add' && operation.path === '/imagePullSecrets/-') {
      list = [...(list ?? []), operation.value as { name: string }];
    } else if (operation.op === 'remove') {
      const index = Number(operation.path.split('/').at(-1));
      list = (list ?? []).filter((_, i) => i !== index);
    } else {
      throw new Error(`unexpected operation ${JSON.stringify(operation)}`);
    }
  }
  return { ...serviceAccount, ...(list !== undefined ? { imagePullSecrets: list } : {}) };
}

describe('imagePullSecretsPatch', () => {
  it('appends our Secret after the entries of others, guarded by a test of the whole current list', () => {
    const current = account([{ name: 'corp-mirror' }, { name: 'dockercfg-abc' }]);
    const patch = imagePullSecretsPatch(current, 'main-pull', true);
    expect(patch).toEqual([
      { op: 'test', path: '/imagePullSecrets', value: [{ name: 'corp-mirror' }, { name: 'dockercfg-abc' }] },
      { op: 'add', path: '/imagePullSecrets/-', value: { name: 'main-pull' } },
    ]);
    expect(applyPatch(current, patch).imagePullSecrets).toEqual([{ name: 'corp-mirror' }, { name: 'dockercfg-abc' }, { name: 'main-pull' }]);
  });

  it('creates the list when the ServiceAccount has none, testing that it is still absent', () => {
    const patch = imagePullSecretsPatch(account(), 'main-pull', true);
    expect(patch).toEqual([
      { op: 'test', path: '/imagePullSecrets', value: null },
      { op: 'add', path: '/imagePullSecrets', value: [{ name: 'main-pull' }] },
    ]);
  });

  it('is idempotent: nothing to send once our Secret is present, or once it is absent', () => {
    const withOurs = applyPatch(account([{ name: 'corp-mirror' }]), imagePullSecretsPatch(account([{ name: 'corp-mirror' }]), 'main-pull', true));
    expect(imagePullSecretsPatch(withOurs, 'main-pull', true)).toEqual([]);
    expect(imagePullSecretsPatch(account([{ name: 'corp-mirror' }]), 'main-pull', false)).toEqual([]);
    expect(imagePullSecretsPatch(account(), 'main-pull', false)).toEqual([]);
  });

  it('removes only our entries (duplicates included, highest index first) and keeps the others in order', () => {
    const current = account([{ name: 'main-pull' }, { name: 'corp-mirror' }, { name: 'main-pull' }, { name: 'other' }]);
    const patch = imagePullSecretsPatch(current, 'main-pull', false);
    expect(patch).toEqual([
      { op: 'test', path: '/imagePullSecrets', value: current.imagePullSecrets },
      { op: 'remove', path: '/imagePullSecrets/2' },
      { op: 'remove', path: '/imagePullSecrets/0' },
    ]);
    expect(applyPatch(current, patch).imagePullSecrets).toEqual([{ name: 'corp-mirror' }, { name: 'other' }]);
  });

  it('fails as a whole when someone changed the list after we read it, instead of removing their entry', () => {
    const read = account([{ name: 'main-pull' }, { name: 'corp-mirror' }]);
    const patch = imagePullSecretsPatch(read, 'main-pull', false);
    const changedMeanwhile = account([{ name: 'new-entry' }, { name: 'main-pull' }, { name: 'corp-mirror' }]);
    expect(() => applyPatch(changedMeanwhile, patch)).toThrow('test failed');
  });
});
