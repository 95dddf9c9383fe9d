import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const main = new URL('../../../src/main.ts', import.meta.url).pathname;

describe('dockyard node-proxy', () => {
  it('forwards through the process, and on SIGTERM drains, logs its counters and exits 0', async () => {
    const upstream = createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (upstream.address() as AddressInfo).port;
    const proxy = spawn(process.execPath, [main, 'node-proxy', '--listen=127.0.0.1:0', `--upstream=127.0.0.1:${upstreamPort}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = createInterface({ input: proxy.stdout });
      const logged: Record<string, unknown>[] = [];
      const started = new Promise<string>((resolve) =>
        lines.on('line', (line) => {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logged.push(entry);
          if (entry['msg'] === 'started forwarding') resolve(String(entry['listen']));
        }),
      );
      const port = Number((await started).split(':').at(-1));

      const client = connect({ host: '127.0.0.1', port });
      client.end('ping');
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(client, 'close');
      expect(Buffer.concat(chunks).toString()).toBe('ping');

      proxy.kill('SIGTERM');
      const [code] = (await once(proxy, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(logged.find((entry) => entry['msg'] === 'stopped forwarding')).toMatchObject({ accepted: 1, active: 0, bytesFromClients: 4 });
    } finally {
      proxy.kill('SIGKILL');
      upstream.close();
    }
  });

  it('refuses to start without --upstream, naming the flag', async () => {
    const proxy = spawn(process.execPath, [main, 'node-proxy', '--listen=127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proxy.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(proxy, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('--listen and --upstream are required');
  });

  it('refuses an upstream without a host, which could never be the registry', async () => {
    const proxy = spawn(process.execPath, [main, 'node-proxy', '--listen=127.0.0.1:0', '--upstream=:5000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proxy.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(proxy, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('want host:port');
  });
});
