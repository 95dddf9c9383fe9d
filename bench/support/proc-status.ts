import { readFileSync } from 'node:fs';

/**
 * A memory figure of a live process from /proc/<pid>/status, in MiB: VmRSS (resident now) or
 * VmHWM (the peak resident size over the process's life).
 */
export function procMemoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kiB = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  if (kiB === undefined) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(kiB) / 1024;
}
