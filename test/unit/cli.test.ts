import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = new URL('../../src/main.ts', import.meta.url).pathname;

async function dockyard(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('dockyard CLI', () => {
  it('prints the package version', async () => {
    const { code, stdout } = await dockyard('version');
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects an unknown command with usage and exit code 2', async () => {
    const { code, stderr } = await dockyard('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
    expect(stderr).toContain('Usage:');
  });

  it('rejects an unknown flag of the operator command without starting it', async () => {
    const { code, stderr } = await dockyard('operator', '--no-such-flag');
    expect(code).toBe(1);
    expect(stderr).toContain('--no-such-flag');
  });
});
