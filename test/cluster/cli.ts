// The local control plane as a long-lived developer cluster: `up` starts it in the background
// (or reuses a running one) and prints the KUBECONFIG to export; `down` stops it. Where the
// machine allows (root, Debian's containerd and CNI plugins), it has a real node that Pods run on
// (the kwok Nodes are tainted); DOCKYARD_REAL_NODE=0 asks for kwok Nodes only.
//   node test/cluster/cli.ts up|down|status [--state FILE]
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { controlPlaneBinDir } from './binaries.ts';
import { LocalControlPlane } from './control-plane.ts';

interface ClusterState {
  pid: number;
  kubeconfig: string;
  server: string;
  workDir: string;
  /** The real node's name, or why there is none. */
  realNode?: string;
  realNodeUnavailable?: string;
  /** The real node's containerd, for `make images` to import into. */
  containerdSocket?: string;
}

function describeNodes(state: ClusterState): string {
  if (state.realNode) return `real node ${state.realNode} runs Pods (kwok Nodes are tainted)`;
  return `kwok Nodes only, Pods never really run: ${state.realNodeUnavailable ?? 'DOCKYARD_REAL_NODE=0'}`;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { state: { type: 'string', default: '.cache/dev-cluster/state.json' } },
});
const stateFile = resolve(values.state);
const serveLog = resolve(dirname(stateFile), 'control-plane.log');

function readState(): ClusterState | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function up(): Promise<number> {
  const existing = readState();
  if (existing && alive(existing.pid)) {
    process.stdout.write(`export KUBECONFIG=${existing.kubeconfig}\n`);
    process.stderr.write(`reusing the local control plane at ${existing.server} (pid ${existing.pid}); ${describeNodes(existing)}\n`);
    return 0;
  }
  rmSync(stateFile, { force: true });
  mkdirSync(dirname(stateFile), { recursive: true });
  const log = openSync(serveLog, 'w');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', `--state=${stateFile}`], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const state = readState();
    if (state) {
      process.stdout.write(`export KUBECONFIG=${state.kubeconfig}\n`);
      process.stderr.write(`local control plane running at ${state.server} (pid ${state.pid}); stop it with make cluster-down\n`);
      process.stderr.write(`${describeNodes(state)}\n`);
      return 0;
    }
    if (child.exitCode !== null || !alive(child.pid ?? -1)) break;
    await sleep(250);
  }
  process.stderr.write(`the local control plane did not start; its log (${serveLog}):\n${readFileSync(serveLog, 'utf8')}\n`);
  return 1;
}

async function serve(): Promise<number> {
  const wantRealNode = process.env['DOCKYARD_REAL_NODE'] !== '0';
  const plane = await LocalControlPlane.start({ binDir: await controlPlaneBinDir(), ...(wantRealNode ? { realNode: 'preferred' as const } : {}) });
  const state: ClusterState = {
    pid: process.pid,
    kubeconfig: plane.kubeconfigPath,
    server: plane.server,
    workDir: plane.workDir,
    ...(plane.realNode ? { realNode: plane.realNode.name, containerdSocket: plane.realNode.containerdSocket } : {}),
    ...(plane.realNodeUnavailable ? { realNodeUnavailable: plane.realNodeUnavailable } : {}),
  };
  // `up` polls this file: a rename makes it appear whole, never half-written.
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${stateFile}.tmp`, stateFile);
  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    process.once('SIGTERM', resolveSignal);
    process.once('SIGINT', resolveSignal);
  });
  process.stderr.write(`[control-plane] ${signal}: stopping\n`);
  await plane.stop();
  rmSync(stateFile, { force: true });
  return 0;
}

async function down(): Promise<number> {
  const state = readState();
  if (!state || !alive(state.pid)) {
    rmSync(stateFile, { force: true });
    process.stderr.write('no local control plane is running\n');
    return 0;
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (alive(state.pid) && Date.now() < deadline) await sleep(200);
  if (alive(state.pid)) {
    // Its reaper removes the components once the server process is gone.
    process.kill(state.pid, 'SIGKILL');
  }
  rmSync(stateFile, { force: true });
  process.stderr.write('local control plane stopped\n');
  return 0;
}

function status(): number {
  const state = readState();
  if (state && alive(state.pid)) {
    process.stdout.write(`running: ${state.server} pid=${state.pid} KUBECONFIG=${state.kubeconfig}\n${describeNodes(state)}\n`);
    return 0;
  }
  process.stdout.write('not running\n');
  return 1;
}

const commands: Record<string, () => Promise<number> | number> = { up, serve, down, status };
const command = commands[positionals[0] ?? ''];
if (command === undefined) {
  process.stderr.write('usage: node test/cluster/cli.ts up|down|status [--state FILE]\n');
  process.exitCode = 2;
} else {
  process.exitCode = await command();
}
