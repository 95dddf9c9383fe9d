import { setTimeout as sleep } from 'node:timers/promises';
import { tallyWrites } from './write-tally.ts';

/**
 * Waits until `username` has sent no write other than Lease writes for `quietMs`, checking the
 * audit log every `intervalMs`, at most `timeoutMs`. Returns how long it waited and whether the
 * quiet came (an operator that never stops writing is the idle window's business to report).
 */
export async function waitForWriteQuiet(
  auditLogFile: string,
  username: string,
  options: { quietMs: number; timeoutMs: number; intervalMs?: number },
): Promise<{ waitedMs: number; quiet: boolean }> {
  const started = Date.now();
  const interval = options.intervalMs ?? 5_000;
  await sleep(Math.min(options.quietMs, options.timeoutMs));
  for (;;) {
    const now = Date.now();
    const recent = await tallyWrites(auditLogFile, username, { from: now - options.quietMs, to: now });
    if (recent.total === 0) return { waitedMs: now - started, quiet: true };
    if (now - started + interval > options.timeoutMs) return { waitedMs: now - started, quiet: false };
    await sleep(interval);
  }
}
