import type { CoreV1Api } from '@kubernetes/client-node';
import { eventually } from '../../support/eventually.ts';
import { isNotFound } from '../../support/kube.ts';
import { derivedName, testControllerLabel } from '../../support/fixtures/test-controller.ts';

/** Creates a source ConfigMap the test controller reconciles. */
export async function createSource(core: CoreV1Api, namespace: string, name: string, data: Record<string, string>): Promise<void> {
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { [testControllerLabel]: 'source' } }, data } });
}

/** Replaces the data of a source ConfigMap. */
export async function updateSource(core: CoreV1Api, namespace: string, name: string, data: Record<string, string>): Promise<void> {
  await core.patchNamespacedConfigMap({ namespace, name, body: [{ op: 'replace', path: '/data', value: data }] });
}

/** Waits until the derived ConfigMap of `source` exists with `expected` data, and returns its data. */
export async function derivedData(
  core: CoreV1Api,
  namespace: string,
  source: string,
  expected: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Record<string, string>> {
  return eventually(
    async () => {
      try {
        const derived = await core.readNamespacedConfigMap({ namespace, name: derivedName(source) });
        const data = derived.data ?? {};
        return sameEntries(data, { ...expected, source }) ? data : undefined;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    { what: `${namespace}/${derivedName(source)} to hold ${JSON.stringify(expected)}`, timeoutMs, intervalMs: 100 },
  );
}

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  const sorted = (record: Record<string, string>) => JSON.stringify(Object.entries(record).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
}
