import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { hostLockDir } from './constants.ts';

const ownerFile = join(hostLockDir, 'owner');
import { teardownScriptPath } from './host-teardown.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerOf(): Promise<number | undefined> {
  const text = await readFile(ownerFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) ? pid : undefined;
}

/**
 * Takes the machine's one real-node lock for this process, or says who holds it. A lock whose
 * owner is dead (SIGKILLed together with its reaper, a crash during start-up) is broken, and the
 * teardown script it left runs first, so one dead run never blocks the next or leaks into it.
 */
export async function acquireHostLock(): Promise<{ acquired: true } | { acquired: false; reason: string }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    // The lock appears with its owner already written: a rename of a whole directory is atomic.
    const staging = await mkdtemp(join(dirname(hostLockDir), '.dockyard-real-node-'));
    await writeFile(join(staging, 'owner'), String(process.pid));
    try {
      await rename(staging, hostLockDir);
      return { acquired: true };
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
    }
    const owner = await ownerOf();
    if (owner !== undefined && alive(owner)) {
      return { acquired: false, reason: `another real node runs on this machine (pid ${owner} holds ${hostLockDir})` };
    }
    if (existsSync(teardownScriptPath)) await promisify(execFile)('bash', [teardownScriptPath]).catch(() => undefined);
    await rm(hostLockDir, { recursive: true, force: true });
  }
  return { acquired: false, reason: `could not take ${hostLockDir}` };
}

export async function releaseHostLock(): Promise<void> {
  if ((await ownerOf()) === process.pid) await rm(hostLockDir, { recursive: true, force: true });
}
