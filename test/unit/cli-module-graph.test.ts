import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const main = new URL('../../src/main.ts', import.meta.url).pathname;
const recorder = new URL('../support/record-packages.ts', import.meta.url).pathname;

/** Runs `dockyard ARGS` (expected to fail fast on its flags) and returns the npm packages it loaded. */
function packagesLoadedBy(...args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', recorder, main, ...args], { timeout: 20_000 }, (_error, _stdout, stderr) => {
      const line = /^loaded-packages (.*)$/m.exec(stderr);
      if (line?.[1] === undefined) reject(new Error(`no package list from dockyard ${args.join(' ')}; stderr:\n${stderr}`));
      else resolve(JSON.parse(line[1]) as string[]);
    });
  });
}

// The auth server runs in every registry Pod and the node proxy on every node, each under a
// memory limit sized for its own work; the operator's graph (client-node: ~80 MiB) must stay out.
describe('what each dockyard command loads', () => {
  it('the operator loads client-node (so the checks below can see it)', async () => {
    expect(await packagesLoadedBy('operator', '--no-such-flag')).toContain('@kubernetes/client-node');
  });

  it.each([
    ['node-proxy', ['node-proxy', '--listen=127.0.0.1:0']],
    ['auth-server', ['auth-server', '--no-such-flag']],
    ['version', ['version']],
  ])('%s loads neither client-node nor prom-client', async (_name, args) => {
    const loaded = await packagesLoadedBy(...args);
    expect(loaded).not.toContain('@kubernetes/client-node');
    expect(loaded).not.toContain('prom-client');
  });
});
