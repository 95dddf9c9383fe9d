import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { eventually } from '../support/eventually.ts';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cluster', 'cli.ts');

export interface DevClusterState {
  pid: number;
  kubeconfig: string;
  workDir: string;
  realNode?: string;
  realNodeUnavailable?: string;
}

/**
 * The control plane as `make dev` runs it (test/cluster/cli.ts serve, real node preferred), in a
 * process of its own that a test can SIGKILL, as an impatient user or a CI timeout would.
 */
export async function startDevCluster(stateFile: string, binDir: string): Promise<DevClusterState> {
  const child = spawn(process.execPath, [cli, 'serve', `--state=${stateFile}`], {
    env: { ...process.env, DOCKYARD_BIN_DIR: binDir },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.unref();
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`))));
  exited.catch(() => undefined);
  try {
    return await Promise.race([
      eventually(() => existsSync(stateFile) && (JSON.parse(readFileSync(stateFile, 'utf8')) as DevClusterState), {
        what: 'the control plane with its real node',
        timeoutMs: 300_000,
        intervalMs: 500,
      }),
      exited,
    ]);
  } catch (error) {
    // It stops what it started on SIGTERM; a start that never finished must not outlive the test.
    if (child.pid !== undefined && alive(child.pid)) process.kill(child.pid, 'SIGTERM');
    throw error;
  }
}

export function kubeConfigOf(state: DevClusterState): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(state.kubeconfig);
  return kubeConfig;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
