import { ApiextensionsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { customResourceDefinition } from '../../src/api/crd.ts';
import { kinds } from '../../src/api/v1alpha1/index.ts';
import { eventually } from './eventually.ts';

/** Server-side applies the dockyard.dev CRDs and waits until each is Established. */
export async function installDockyardCrds(kubeConfig: KubeConfig, fieldManager: string): Promise<void> {
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  for (const kind of kinds) {
    const crd = customResourceDefinition(kind);
    await extensions.patchCustomResourceDefinition(
      { name: crd.metadata.name, body: crd, fieldManager, force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }
  for (const kind of kinds) {
    await eventually(
      async () => {
        const crd: V1CustomResourceDefinition = await extensions.readCustomResourceDefinition({ name: customResourceDefinition(kind).metadata.name });
        return crd.status?.conditions?.some((condition) => condition.type === 'Established' && condition.status === 'True');
      },
      { what: `the CRD of ${kind.kind} to be Established`, timeoutMs: 30_000 },
    );
  }
}
