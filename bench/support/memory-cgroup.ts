import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url).pathname;

/**
 * The memory limit of the operator container as shipped (manifests/operator/deployment.yaml), in
 * bytes. Node sizes its heap from the limit it runs under, so the benchmark runs the operator
 * under the same limit: without one, Node 24 on a 24 GiB machine lets its young generation alone
 * grow to 128 MiB, which no container with the shipped limit ever does.
 */
export async function shippedOperatorMemoryLimit(): Promise<{ text: string; bytes: number }> {
  const deployment = parse(await readFile(join(root, 'manifests/operator/deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: Array<{ name: string; resources?: { limits?: { memory?: string } } }> } } };
  };
  const text = deployment.spec.template.spec.containers.find((container) => container.name === 'operator')?.resources?.limits?.memory;
  if (text === undefined) throw new Error('manifests/operator/deployment.yaml: the operator container has no memory limit');
  return { text, bytes: memoryLimitBytes(text, 'manifests/operator/deployment.yaml') };
}

/** A container memory limit as the shipped manifests write it (`256Mi`), in bytes; `where` names its source in the error. */
export function memoryLimitBytes(text: string | undefined, where: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(text ?? '');
  if (!match) throw new Error(`${where}: cannot read the memory limit ${JSON.stringify(text)}`);
  return Number(match[1]) * 1024 ** ['', 'Ki', 'Mi', 'Gi'].indexOf(match[2] ?? '');
}

/** A memory cgroup that processes start in by writing themselves into `procsFile`. */
export interface MemoryCgroup {
  procsFile: string;
  /** How often the kernel found the group at its limit (cgroup v1 failcnt, v2 events max). */
  limitHits(): Promise<number>;
  remove(): Promise<void>;
}

/**
 * Creates a memory cgroup limited to `bytes` (swap included, so the limit cannot be dodged), as
 * kubelet does for a container. Needs root and a writable cgroup v1 memory hierarchy or a cgroup
 * v2 tree that delegates the memory controller; throws saying which step failed otherwise.
 */
export async function createMemoryCgroup(name: string, bytes: number): Promise<MemoryCgroup> {
  const v1 = '/sys/fs/cgroup/memory';
  const v1Available = await readFile(join(v1, 'memory.limit_in_bytes'), 'utf8').then(
    () => true,
    () => false,
  );
  const dir = join(v1Available ? v1 : '/sys/fs/cgroup', name);
  await mkdir(dir, { recursive: true });
  try {
    if (v1Available) {
      await writeFile(join(dir, 'memory.limit_in_bytes'), String(bytes));
      await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), String(bytes)).catch(() => undefined); // absent without swap accounting
    } else {
      await writeFile(join(dir, 'memory.max'), String(bytes));
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
    }
  } catch (error) {
    await rmdir(dir).catch(() => undefined);
    throw new Error(`cannot limit the memory of cgroup ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const counter = async (file: string, pattern: RegExp): Promise<number> =>
    Number(pattern.exec(await readFile(join(dir, file), 'utf8').catch(() => ''))?.[1] ?? 0);
  return {
    procsFile: join(dir, 'cgroup.procs'),
    limitHits: () => (v1Available ? counter('memory.failcnt', /^(\d+)/) : counter('memory.events', /^max (\d+)$/m)),
    remove: async () => {
      await rmdir(dir).catch(() => undefined);
    },
  };
}
