import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledDockyardMain } from '../support/bundle.ts';
import { eventually } from '../support/eventually.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** Runs the copied bundle; resolves with its exit code and output even when it fails. */
async function dockyard(main: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runWith(process.execPath, main, ...args);
}

async function runWith(node: string, main: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(node, [main, ...args], { cwd: dirname(main), timeout: 20_000 });
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

  it('logs JSON even on a terminal: pino-pretty is a development dependency the image does not hold', async () => {
    const output = await firstLogOnTerminal(main, true);
    expect(output).toContain('"msg":"started forwarding"');
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

// The machine's own Node (Debian's, 20 here), which is what `npx dockyard` finds on many machines.
const olderNode = '/usr/bin/node';
const olderNodeVersion = existsSync(olderNode) ? execFileSync(olderNode, ['-p', 'process.versions.node']).toString().trim() : undefined;

describe.skipIf(olderNodeVersion === undefined || Number(olderNodeVersion.split('.')[0]) >= 24)(`the bundle on Node ${olderNodeVersion}`, () => {
  it.each([[[]], [['version']], [['operator']], [['auth-server', '--listen=127.0.0.1:0']]])('says which Node it needs (dockyard %j)', async (args) => {
    const { code, stdout, stderr } = await runWith(olderNode, bundledDockyardMain(), ...args);
    expect(stderr).toBe(`dockyard needs Node.js 24 or newer; this is ${olderNodeVersion}\n`);
    expect(stdout).toBe('');
    expect(code).toBe(1);
  });
});

/**
 * Runs the bundled node proxy on a pseudo-terminal (util-linux `script`), as `make dev` runs the
 * operator in a person's terminal, until it has logged that it started; returns what it printed.
 */
async function firstLogOnTerminal(main: string, terminal: boolean): Promise<string> {
  const command = [process.execPath, main, 'node-proxy', '--listen=127.0.0.1:0', '--upstream=http://127.0.0.1:1'];
  const child = terminal
    ? spawn('script', ['-qfec', command.map((part) => `'${part}'`).join(' '), '/dev/null'], {
        detached: true,
        env: { ...process.env, DOCKYARD_LOG_FORMAT: '' },
      })
    : spawn(command[0]!, command.slice(1), { detached: true, env: { ...process.env, DOCKYARD_LOG_FORMAT: '' } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  try {
    await eventually(() => output.includes('started forwarding'), { what: 'the node proxy to log that it started', timeoutMs: 15_000, intervalMs: 50 });
  } finally {
    process.kill(-child.pid!, 'SIGKILL');
  }
  return output;
}

describe('log format', () => {
  it('pretty-prints on a terminal and writes JSON lines otherwise', async () => {
    const pretty = await firstLogOnTerminal(bundledDockyardMain(), true);
    expect(pretty).toMatch(/INFO.*\(dockyard-node-proxy\).*started forwarding/);
    expect(pretty).not.toContain('{"level"');
    const json = await firstLogOnTerminal(bundledDockyardMain(), false);
    expect(JSON.parse(json.split('\n')[0]!)).toMatchObject({ level: 'info', name: 'dockyard-node-proxy', msg: 'started forwarding' });
  });
});
