import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { controlPlaneBinDir } from '../cluster/binaries.ts';
import { localImageNames } from '../cluster/images/local-images.ts';
import { realNodeUnsupportedReason } from '../cluster/real-node/host-support.ts';
import { hostLockDir } from '../cluster/real-node/constants.ts';
import { acquireHostLock, releaseHostLock } from '../cluster/real-node/host-lock.ts';
import { existsSync } from 'node:fs';
import { eventually } from '../support/eventually.ts';
import { hostSnapshot } from '../support/host-state.ts';
import { alive, kubeConfigOf, startDevCluster, type DevClusterState } from './dev-cluster.ts';

const binDir = await controlPlaneBinDir();
const unavailable =
  process.env['DOCKYARD_REAL_NODE'] === '0'
    ? 'DOCKYARD_REAL_NODE=0'
    : ((await realNodeUnsupportedReason(binDir)) ?? (existsSync(hostLockDir) ? `${hostLockDir} is held: another real node runs on this machine` : undefined));

if (unavailable !== undefined) process.stderr.write(`[real-node] tests skipped: ${unavailable}\n`);

/** What a Pod on the real node prints: it ran, cluster DNS answered, the apiserver's Service answered. */
const probeScript = [
  'echo started',
  'nslookup kubernetes.default.svc.cluster.local',
  'wget -q -O - --no-check-certificate https://kubernetes.default.svc/livez && echo " apiserver-reachable"',
  'exec sleep 3600',
].join('; ');

function probePod(): V1Pod {
  return {
    metadata: { name: 'probe', namespace: 'default' },
    spec: {
      containers: [{ name: 'probe', image: localImageNames.busybox, command: ['/bin/sh', '-c', probeScript] }],
      terminationGracePeriodSeconds: 1,
    },
  };
}

async function runProbePod(state: DevClusterState): Promise<{ nodeName: string; log: string }> {
  const core = kubeConfigOf(state).makeApiClient(CoreV1Api);
  await core.createNamespacedPod({ namespace: 'default', body: probePod() });
  const log = await eventually(
    async () => {
      const text = await core.readNamespacedPodLog({ name: 'probe', namespace: 'default' });
      return text.includes('apiserver-reachable') && text;
    },
    { what: 'the probe Pod to reach cluster DNS and the apiserver', timeoutMs: 120_000, intervalMs: 1_000 },
  );
  const pod = await core.readNamespacedPod({ name: 'probe', namespace: 'default' });
  return { nodeName: pod.spec?.nodeName ?? '', log };
}

describe.skipIf(unavailable !== undefined)(`a real node on this machine${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const scratch: string[] = [];
  const launchers: number[] = [];
  // A failed test must not leave its cluster running: stop every launcher still alive.
  afterEach(async () => {
    for (const pid of launchers.splice(0).filter(alive)) {
      process.kill(pid, 'SIGTERM');
      await eventually(() => !alive(pid), { what: `launcher ${pid} to stop`, timeoutMs: 120_000 });
    }
  });
  afterAll(async () => {
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  });
  const start = async (dir: string): Promise<DevClusterState> => {
    const state = await startDevCluster(join(dir, 'state.json'), binDir);
    launchers.push(state.pid);
    return state;
  };

  it('runs a Pod that resolves cluster DNS and reaches the apiserver, and SIGKILL of its launcher leaves nothing behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockyard-real-node-test-'));
    scratch.push(dir);
    const before = await hostSnapshot(join(dir, 'not-yet'));
    const started = performance.now();
    const state = await start(dir);
    process.stderr.write(`[real-node] control plane with real node up in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
    expect(state.realNode, state.realNodeUnavailable).toBe('dockyard-real-node');

    const { nodeName, log } = await runProbePod(state);
    expect(nodeName).toBe(state.realNode);
    expect(log).toContain('started');
    // busybox's nslookup prints the answer's address: the `kubernetes` Service's ClusterIP.
    expect(log).toMatch(/Address:\s+10\.96\.0\.1\b/);

    const during = await hostSnapshot(state.workDir);
    expect(during.bridge).toBe(true);
    expect(during.iptablesChains.some((chain) => chain.includes('KUBE-SERVICES'))).toBe(true);
    expect(during.mounts.length).toBeGreaterThan(0);

    process.kill(state.pid, 'SIGKILL');
    await eventually(() => !alive(state.pid), { what: 'the launcher to die' });
    const after = await eventually(
      async () => {
        const snapshot = await hostSnapshot(state.workDir);
        return JSON.stringify(snapshot) === JSON.stringify({ ...before, directories: before.directories }) && snapshot;
      },
      { what: 'the reaper to undo every host change', timeoutMs: 60_000, intervalMs: 1_000 },
    ).catch(async () => hostSnapshot(state.workDir));
    expect(after).toEqual(before);
  });

  it('undoes everything on a clean stop (SIGTERM, as make cluster-down sends)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockyard-real-node-test-'));
    scratch.push(dir);
    const before = await hostSnapshot(join(dir, 'not-yet'));
    const state = await start(dir);
    expect(state.realNode, state.realNodeUnavailable).toBe('dockyard-real-node');
    await runProbePod(state);
    const stopping = performance.now();
    process.kill(state.pid, 'SIGTERM');
    await eventually(() => !alive(state.pid), { what: 'the launcher to stop', timeoutMs: 120_000 });
    process.stderr.write(`[real-node] clean stop took ${((performance.now() - stopping) / 1000).toFixed(1)}s\n`);
    expect(await hostSnapshot(state.workDir)).toEqual(before);
  });

  it('cleans up after a launcher killed together with its reaper, when the next one takes the lock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockyard-real-node-test-'));
    scratch.push(dir);
    const before = await hostSnapshot(join(dir, 'not-yet'));
    const state = await start(dir);
    expect(state.realNode, state.realNodeUnavailable).toBe('dockyard-real-node');
    await runProbePod(state);
    // The reaper is the bash that waits for this launcher's pid (processes.ts).
    const reapers = (await readdir('/proc')).filter(
      (pid) => /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, { encoding: 'utf8', flag: 'r' }).includes(`kill -0 ${state.pid} `),
    );
    expect(reapers.length).toBeGreaterThan(0);
    for (const pid of [...reapers, String(state.pid)]) process.kill(Number(pid), 'SIGKILL');
    await eventually(() => !alive(state.pid), { what: 'the launcher to die' });
    // Nobody cleaned up: the Pod's processes, the bridge and the lock are still there.
    expect((await hostSnapshot(state.workDir)).bridge).toBe(true);
    const lock = await acquireHostLock();
    expect(lock.acquired).toBe(true);
    await releaseHostLock();
    // The node's processes were killed by nobody: end them as the reaper would have.
    for (const process of (await hostSnapshot(state.workDir)).processes) killPid(Number(process.split(':')[0]));
    await rm(state.workDir, { recursive: true, force: true });
    expect(await hostSnapshot(state.workDir)).toEqual(before);
  });
});

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
