import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledDockyardMain } from '../support/bundle.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** Runs the copied bundle; resolves with its exit code and output even when it fails. */
async function dockyard(main: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], { cwd: dirname(main), timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// The image holds package.json and dist/dockyard/ and nothing else (see the Dockerfile). A
// dependency the bundle left outside would work in every test here, where node_modules exists,
// and fail only in the image; so each command's chunk is loaded from a copy laid out like /app.
describe('the bundle, laid out as in the image (no node_modules)', () => {
  let app: string;
  let main: string;

  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), 'dockyard-image-'));
    await cp(dirname(bundledDockyardMain()), join(app, 'dist/dockyard'), { recursive: true });
    await cp(join(root, 'package.json'), join(app, 'package.json'));
    main = join(app, 'dist/dockyard/main.js');
  });

  afterAll(async () => {
    await rm(app, { recursive: true, force: true });
  });

  it('prints its version from the package.json beside it', async () => {
    const { code, stdout } = await dockyard(main, 'version');
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('renders the CRDs (zod and yaml inside the bundle)', async () => {
    const { code, stdout } = await dockyard(main, 'crds');
    expect(code).toBe(0);
    expect(stdout).toContain('name: registries.dockyard.dev');
  });

  // Each command loads its whole chunk before it reads its flags: a flag error proves the chunk
  // (client-node, pino, prom-client for the operator) loaded.
  it.each([
    ['operator', '--no-such-flag', 'no-such-flag'],
    ['auth-server', '--no-such-flag', 'no-such-flag'],
    ['node-proxy', '--listen=127.0.0.1:0', '--listen and --upstream are required'],
  ])('loads the %s command', async (command, flag, message) => {
    const { code, stderr } = await dockyard(main, command, flag);
    expect(stderr).not.toMatch(/Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Dynamic require/);
    expect(stderr).toContain(message);
    expect(code).toBe(1);
  });
});
