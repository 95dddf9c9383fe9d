import { setTimeout as sleep } from 'node:timers/promises';
import { sourceNamespaceLabel } from '../../src/controllers/registry/builders/metadata.ts';
import { resources } from '../../src/controllers/registry/resources.ts';
import type { KubeClient } from '../../src/runtime/kube-client.ts';
import type { KubeObject } from '../../src/runtime/resource.ts';
import { benchPullSecretName, benchRegistryName, registryIndexes, registryNamespace, targetNamespaces, type ScaleSize } from './scale-objects.ts';

interface Condition {
  type: string;
  status: string;
}

function isReady(registry: KubeObject): boolean {
  const conditions = (registry['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

/** How many of the benchmark's Registries report Ready=True. */
async function readyRegistries(client: KubeClient, size: ScaleSize): Promise<number> {
  const list = await client.list(resources.registries);
  const ready = new Set(list.items.filter((r) => r.metadata?.name === benchRegistryName && isReady(r)).map((r) => r.metadata?.namespace));
  return registryIndexes(size).filter((i) => ready.has(registryNamespace(i))).length;
}

/** How many of the pull Secret copies the benchmark expects exist, copied from the right Registry. */
async function pullSecretCopies(client: KubeClient, size: ScaleSize): Promise<number> {
  const list = await client.list(resources.secrets, { labelSelector: sourceNamespaceLabel });
  const present = new Set(
    list.items
      .filter((secret) => secret.metadata?.name === benchPullSecretName)
      .map((secret) => `${secret.metadata?.namespace}<-${secret.metadata?.labels?.[sourceNamespaceLabel]}`),
  );
  return registryIndexes(size).reduce(
    (count, i) => count + targetNamespaces(i, size).filter((target) => present.has(`${target}<-${registryNamespace(i)}`)).length,
    0,
  );
}

/**
 * Polls (every `intervalMs`) until every Registry reports Ready=True and every pull Secret copy
 * exists, and returns the time (Date.now()) the poll saw it. Throws after `timeoutMs`, or as soon
 * as `abortIf` returns a reason (say, the operator exited).
 */
export async function waitConverged(
  client: KubeClient,
  size: ScaleSize,
  options: { timeoutMs: number; intervalMs?: number; progress?: (message: string) => void; abortIf?: () => string | undefined },
): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  const expectedCopies = size.registries * size.fanOut;
  let lastReport = 0;
  let seen = 'nothing yet';
  while (Date.now() < deadline) {
    const abort = options.abortIf?.();
    if (abort !== undefined) throw new Error(`gave up waiting for the Registries (${seen}): ${abort}`);
    try {
      const ready = await readyRegistries(client, size);
      const copies = ready === size.registries ? await pullSecretCopies(client, size) : undefined;
      seen = `${ready}/${size.registries} Ready${copies === undefined ? '' : `, ${copies}/${expectedCopies} pull Secret copies`}`;
      if (copies === expectedCopies) return Date.now();
    } catch (error) {
      seen = `last poll failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() - lastReport >= 15_000) {
      options.progress?.(seen);
      lastReport = Date.now();
    }
    await sleep(options.intervalMs ?? 1_000);
  }
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for every Registry to be Ready with its pull Secret copies (${seen})`);
}
