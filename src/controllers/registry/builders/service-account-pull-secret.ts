import type { V1ServiceAccount } from '@kubernetes/client-node';
import type { JsonPatchOperation } from '../../../runtime/finalizers.ts';

/**
 * The JSON Patch that makes `secretName` present in (or absent from) a ServiceAccount's
 * imagePullSecrets, leaving every other entry as it is. Empty when nothing needs to change, so a
 * steady state sends no request.
 *
 * Other entries belong to others (users, other controllers), so the patch never replaces the
 * list: it appends or removes single items, and first `test`s that the list is still exactly what
 * `serviceAccount` showed. If anyone changed it meanwhile, the apiserver rejects the whole patch
 * (422) and the reconcile retries on fresh data, instead of an index pointing at someone else's
 * entry. A missing list is tested as null, which the apiserver's JSON Patch accepts for an absent
 * member (the runtime's finalizer patches rely on the same).
 */
export function imagePullSecretsPatch(serviceAccount: V1ServiceAccount, secretName: string, wanted: boolean): JsonPatchOperation[] {
  const current = serviceAccount.imagePullSecrets;
  const path = '/imagePullSecrets';
  const indexes = (current ?? []).flatMap((reference, index) => (reference.name === secretName ? [index] : []));
  if (wanted) {
    if (indexes.length > 0) return [];
    if (current === undefined) {
      return [
        { op: 'test', path, value: null },
        { op: 'add', path, value: [{ name: secretName }] },
      ];
    }
    return [
      { op: 'test', path, value: current },
      { op: 'add', path: `${path}/-`, value: { name: secretName } },
    ];
  }
  if (indexes.length === 0) return [];
  // Highest index first, so each removal leaves the indexes still to remove unchanged.
  return [{ op: 'test', path, value: current }, ...indexes.reverse().map((index): JsonPatchOperation => ({ op: 'remove', path: `${path}/${index}` }))];
}
