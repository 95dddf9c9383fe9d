import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface TreeRun {
  exitCode: number | null;
  wallMs: number;
  /** The largest sum of resident memory over the process and all its descendants at one sample. */
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

const pageKiB = 4;

/** The process and its descendants, through /proc/<pid>/task/<tid>/children. */
function treeOf(root: number): number[] {
  const pids = [root];
  for (let index = 0; index < pids.length; index++) {
    const pid = pids[index]!;
    try {
      for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) if (task) pids.push(Number(task));
    } catch {
      // Gone between two reads: its memory is no longer resident.
    }
  }
  return pids;
}

function residentKiB(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * pageKiB;
  } catch {
    return 0;
  }
}

/** The root's own peak (VmHWM), exact however short its peak was; samples can miss a short one. */
function peakKiB(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Runs a command to its end and measures it: wall time from spawn to exit, and peak RSS of its
 * whole process tree (a shell loop's crane processes count with the shell), sampled every
 * `sampleMs`, never below the root's own VmHWM.
 */
export function runMeasured(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; sampleMs?: number } = {}): Promise<TreeRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let peak = 0;
    const sample = () => {
      if (child.pid === undefined) return;
      const sum = treeOf(child.pid).reduce((total, pid) => total + residentKiB(pid), 0);
      peak = Math.max(peak, sum, peakKiB(child.pid));
    };
    const timer = setInterval(sample, options.sampleMs ?? 25);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    let wallMs = 0;
    child.on('exit', () => {
      wallMs = performance.now() - started;
      clearInterval(timer);
    });
    // 'close' comes after the output is read to its end.
    child.on('close', (exitCode) => {
      resolve({
        exitCode,
        wallMs,
        peakRssMiB: peak / 1024,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}
