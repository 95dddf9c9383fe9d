import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { eventually } from '../support/eventually.ts';

export const run = promisify(execFile);

/** Why the e2e group cannot run here, or undefined. */
export const e2eUnavailable = inject('e2eUnavailable');
if (e2eUnavailable !== undefined) process.stderr.write(`[e2e] tests skipped: ${e2eUnavailable}\n`);

export function e2eKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(inject('e2eKubeconfig')!);
  return kubeConfig;
}

export const helm = (): string => join(inject('e2eBinDir'), 'helm');

/** kubectl against the e2e cluster, as a user types it. */
export function kubectl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', ['--kubeconfig', inject('e2eKubeconfig')!, ...args], { maxBuffer: 16 * 1024 * 1024 });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** `kubectl port-forward` to a Service, through the real kubelet; stop() ends it. */
export async function portForward(namespace: string, service: string, port: number): Promise<{ localPort: number; stop: () => void }> {
  const localPort = await freePort();
  const child: ChildProcess = spawn(
    'kubectl',
    ['--kubeconfig', inject('e2eKubeconfig')!, 'port-forward', '-n', namespace, `service/${service}`, `${localPort}:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => output.includes('Forwarding from') || (child.exitCode !== null ? Promise.reject(new Error(output)) : false), {
    what: `kubectl port-forward to ${namespace}/${service}`,
    timeoutMs: 30_000,
  });
  return { localPort, stop: () => child.kill('SIGTERM') };
}
