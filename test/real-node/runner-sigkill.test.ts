import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { controlPlaneBinDir } from '../cluster/binaries.ts';
import { hostLockDir } from '../cluster/real-node/constants.ts';
import { realNodeUnsupportedReason } from '../cluster/real-node/host-support.ts';
import { eventually } from '../support/eventually.ts';
import { hostSnapshot } from '../support/host-state.ts';
import { alive } from './dev-cluster.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binDir = await controlPlaneBinDir();
const unavailable =
  process.env['DOCKYARD_REAL_NODE'] === '0'
    ? 'DOCKYARD_REAL_NODE=0'
    : ((await realNodeUnsupportedReason(binDir)) ?? (existsSync(hostLockDir) ? `${hostLockDir} is held: another real node runs on this machine` : undefined));
if (unavailable !== undefined) process.stderr.write(`[real-node] runner SIGKILL test skipped: ${unavailable}\n`);

/** The node directory the lock's record names: the control plane's work directory is its parent. */
function recordedNodeDir(): string | undefined {
  const record = join(hostLockDir, 'record.env');
  if (!existsSync(record)) return undefined;
  const line = readFileSync(record, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('node_dir='));
  return line?.slice("node_dir='".length, -1);
}

describe.skipIf(unavailable !== undefined)(`the e2e runner killed mid-run${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('leaves the host as it was once vitest itself is SIGKILLed with the real node up', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'dockyard-runner-kill-'));
    const before = await hostSnapshot(join(scratch, 'not-yet'));
    const runner = spawn(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'e2e'], {
      cwd: root,
      env: { ...process.env, DOCKYARD_BIN_DIR: binDir },
      stdio: 'ignore',
      detached: true,
    });
    try {
      // The real node is up once kube-proxy has written its Service chains.
      await eventually(async () => (await hostSnapshot(join(scratch, 'not-yet'))).iptablesChains.some((chain) => chain.endsWith('KUBE-SERVICES')), {
        what: 'the e2e runner to bring its real node up',
        timeoutMs: 300_000,
        intervalMs: 1_000,
      });
      const nodeDir = recordedNodeDir();
      expect(nodeDir).toBeDefined();
      const workDir = dirname(nodeDir!);
      runner.kill('SIGKILL');
      await eventually(() => runner.pid !== undefined && !alive(runner.pid), { what: 'the runner to die' });
      const after = await eventually(
        async () => {
          const snapshot = await hostSnapshot(workDir);
          return JSON.stringify(snapshot) === JSON.stringify(before) && snapshot;
        },
        { what: 'the reaper to undo every host change', timeoutMs: 90_000, intervalMs: 1_000 },
      ).catch(() => hostSnapshot(workDir));
      expect(after).toEqual(before);
    } finally {
      // vitest's workers follow their parent; this only ends what a failed assertion left.
      if (runner.pid !== undefined && alive(runner.pid)) process.kill(-runner.pid, 'SIGKILL');
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
