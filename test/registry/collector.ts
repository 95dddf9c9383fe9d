import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { paths } from '../../src/registry-auth/pod-contract.ts';
import { debianRegistryBinary, type RegistryFlavor } from './local-registry.ts';

/**
 * Runs what a collector Job would run, on this machine: the Job's own container args and env
 * (secretKeyRef values taken from `secrets`), the registry binary of `flavor` in place of the
 * image's entrypoint, and the Pod's config path replaced by the local registry's config file.
 * stdout and stderr are read together, as `kubectl logs` (and the operator) sees them.
 */
export async function runCollectorAsTheJob(
  job: V1Job,
  local: { flavor: RegistryFlavor; binDir: string; configFile: string; secrets?: Record<string, Record<string, string>> },
): Promise<{ exitCode: number; output: string; seconds: number }> {
  const container = job.spec?.template.spec?.containers[0];
  if (container?.args === undefined) throw new Error('the Job has no container args');
  const [subcommand, ...rest] = container.args;
  if (subcommand !== 'garbage-collect') throw new Error(`the Job runs ${subcommand}, not garbage-collect`);
  const args = [subcommand, ...rest.map((arg) => (arg === paths.configFile ? local.configFile : arg))];
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    const value = ref ? local.secrets?.[ref.name ?? '']?.[ref.key] : variable.value;
    if (value === undefined) throw new Error(`the test has no value for ${variable.name}`);
    env[variable.name] = value;
  }
  const binary = local.flavor === 'distribution-3' ? join(local.binDir, 'registry') : debianRegistryBinary;
  const started = performance.now();
  const child = spawn(binary, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  return { exitCode, output: Buffer.concat(chunks).toString('utf8'), seconds: (performance.now() - started) / 1000 };
}

/**
 * Bytes of every file under `dir`: what the registry's storage holds for images. Upload scratch
 * (`_uploads`, purged by distribution on its own) is left out, and a file that goes while it is
 * counted counts nothing.
 */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.parentPath.includes('/_uploads')) continue;
    try {
      total += (await stat(join(entry.parentPath, entry.name))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return total;
}
