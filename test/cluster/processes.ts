import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * A child process in a process group of its own, so that stopping it also stops anything it
 * forked, and so that a Ctrl-C aimed at the test runner's terminal reaches the runner, which then
 * tears down in order, instead of every component at once.
 */
export class ManagedProcess {
  readonly spec: ProcessSpec;
  private readonly registry: ProcessRegistry;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<number | null> = Promise.resolve(null);

  constructor(spec: ProcessSpec, registry: ProcessRegistry) {
    this.spec = spec;
    this.registry = registry;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.spec.name} is already running`);
    const log = openSync(this.spec.logFile, 'a');
    try {
      const child = spawn(this.spec.command, this.spec.args, {
        cwd: this.spec.cwd,
        env: this.spec.env ?? process.env,
        stdio: ['ignore', log, log],
        detached: true,
      });
      this.child = child;
      this.exitPromise = new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.once('error', () => resolve(null));
      });
      if (child.pid !== undefined) this.registry.add(child.pid);
    } finally {
      closeSync(log);
    }
  }

  /** Resolves with the exit code (null when killed by a signal) once the process has gone. */
  exited(): Promise<number | null> {
    return this.exitPromise;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (this.running) {
      killGroup(pid, signal);
      const outcome = await Promise.race([this.exitPromise.then(() => 'exited'), sleep(graceMs, 'timeout')]);
      if (outcome === 'timeout') {
        killGroup(pid, 'SIGKILL');
        await this.exitPromise;
      }
    }
    // The leader is gone; anything it left in its group goes too.
    killGroup(pid, 'SIGKILL');
    this.registry.remove(pid);
  }

  /** The tail of the process's log, for error messages that explain a failed start. */
  logTail(lines = 30): string {
    if (!existsSync(this.spec.logFile)) return '';
    return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Tracks the process groups a launcher started, in a file, and arms a reaper: a detached bash
 * (dash's kill builtin cannot signal a process group) that waits for the launcher to die by any means (including SIGKILL, which no exit handler sees)
 * and then kills every listed group, runs every registered cleanup script (what the real node
 * changed on the host) and removes the work directory. A clean stop disarms it.
 */
export class ProcessRegistry {
  private readonly pidFile: string;
  private readonly cleanupFile: string;
  private readonly workDir: string;
  private readonly pids = new Set<number>();
  private readonly cleanupScripts = new Set<string>();
  private reaperPid: number | undefined;

  constructor(pidFile: string, workDir: string) {
    this.pidFile = pidFile;
    this.cleanupFile = `${pidFile}.cleanup`;
    this.workDir = workDir;
    writeFileSync(this.pidFile, '');
    writeFileSync(this.cleanupFile, '');
  }

  /** A bash script the reaper runs after killing every group, before removing the work directory. */
  addCleanupScript(path: string): void {
    this.cleanupScripts.add(path);
    writeFileSync(this.cleanupFile, [...this.cleanupScripts].join('\n'));
  }

  removeCleanupScript(path: string): void {
    this.cleanupScripts.delete(path);
    writeFileSync(this.cleanupFile, [...this.cleanupScripts].join('\n'));
  }

  add(pid: number): void {
    this.pids.add(pid);
    this.persist();
  }

  remove(pid: number): void {
    this.pids.delete(pid);
    this.persist();
  }

  armReaper(ownerPid = process.pid): void {
    const script = [
      `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done`,
      `for pgid in $(cat '${this.pidFile}' 2>/dev/null); do kill -KILL -- -"$pgid" 2>/dev/null; done`,
      `while read -r script || [[ -n $script ]]; do [[ -f $script ]] && bash "$script"; done < '${this.cleanupFile}'`,
      `rm -rf '${this.workDir}'`,
    ].join('\n');
    const reaper = spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' });
    reaper.unref();
    this.reaperPid = reaper.pid;
  }

  disarmReaper(): void {
    if (this.reaperPid !== undefined) killGroup(this.reaperPid, 'SIGKILL');
    this.reaperPid = undefined;
  }

  /** Last resort for process exit: synchronous, so it also runs from an 'exit' handler. */
  killAllNow(): void {
    for (const pid of this.pids) killGroup(pid, 'SIGKILL');
    this.pids.clear();
    this.persist();
    for (const script of this.cleanupScripts) spawnSync('bash', [script], { stdio: 'ignore' });
    this.cleanupScripts.clear();
  }

  private persist(): void {
    writeFileSync(this.pidFile, [...this.pids].join('\n'));
  }
}
