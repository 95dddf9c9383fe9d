import { childNames } from '../../src/controllers/common/registry-children.ts';
import { resources } from '../../src/controllers/registry/resources.ts';
import type { KubeClient } from '../../src/runtime/kube-client.ts';
import type { KubeObject } from '../../src/runtime/resource.ts';
import { eventually } from '../../test/support/eventually.ts';
import { mapLimited } from '../../src/runtime/map-limited.ts';

/**
 * The objects of the operator-scale benchmark: `registries` Registries, one per namespace
 * bench-reg-NNN, each fanning its pull Secret out to `fanOut` namespaces bench-reg-NNN-tK that
 * carry the label bench-fanout=reg-NNN its selector asks for.
 */
export interface ScaleSize {
  registries: number;
  fanOut: number;
}

/** Every Registry of the benchmark has this name; its pull Secret is `bench-pull`. */
export const benchRegistryName = 'bench';
export const benchPullSecretName = childNames(benchRegistryName).pull;
const fanOutLabel = 'bench-fanout';

function index(i: number): string {
  return String(i).padStart(3, '0');
}

export function registryNamespace(i: number): string {
  return `bench-reg-${index(i)}`;
}

export function targetNamespaces(i: number, size: ScaleSize): string[] {
  return Array.from({ length: size.fanOut }, (_, k) => `${registryNamespace(i)}-t${k + 1}`);
}

/** 0 .. registries-1. */
export function registryIndexes(size: ScaleSize): number[] {
  return Array.from({ length: size.registries }, (_, i) => i);
}

/** Every namespace of the benchmark: each Registry's own, then its labelled targets. */
export function benchNamespaces(size: ScaleSize): KubeObject[] {
  return registryIndexes(size).flatMap((i) => [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: registryNamespace(i) } },
    ...targetNamespaces(i, size).map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { [fanOutLabel]: `reg-${index(i)}` } },
    })),
  ]);
}

export function benchRegistry(i: number): KubeObject {
  return {
    apiVersion: `${resources.registries.group}/${resources.registries.version}`,
    kind: resources.registries.kind,
    metadata: { name: benchRegistryName, namespace: registryNamespace(i) },
    spec: {
      storage: { emptyDir: {} },
      pullSecrets: { namespaceSelector: { matchLabels: { [fanOutLabel]: `reg-${index(i)}` } } },
    },
  };
}

/** Creates every namespace of the benchmark (as whoever `client` is), `inFlight` at a time. */
export async function createBenchNamespaces(client: KubeClient, size: ScaleSize, inFlight: number): Promise<void> {
  await mapLimited(benchNamespaces(size), inFlight, (namespace) => client.create(resources.namespaces, namespace));
}

/**
 * Waits until every Registry namespace has its default ServiceAccount. Pods are refused without
 * it, and kube-controller-manager makes them one namespace at a time: right after a thousand
 * namespaces appear, the backlog would otherwise be timed as the operator's.
 */
export async function waitForDefaultServiceAccounts(client: KubeClient, size: ScaleSize, timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      const accounts = await client.list(resources.serviceAccounts, { fieldSelector: 'metadata.name=default' });
      const present = new Set(accounts.items.map((account) => account.metadata?.namespace));
      return registryIndexes(size).every((i) => present.has(registryNamespace(i)));
    },
    { what: 'the default ServiceAccount in every Registry namespace', timeoutMs, intervalMs: 1_000 },
  );
}
