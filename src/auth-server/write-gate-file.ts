import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { parseWriteGate } from '../registry-auth/write-gate.ts';
import { watchFiles, type FileSetWatcher } from './file-watch.ts';
import type { DoorWriteGate } from './write-gate.ts';

/**
 * Follows the write gate file in the mounted auth Secret. A missing file is an open door: a
 * Secret written before the gate existed has no such key. A file that cannot be parsed keeps the
 * gate as it was, so a bad write neither opens a gate nor closes the door.
 */
export function followWriteGateFile(file: string, options: { intervalMs: number; gate: DoorWriteGate; log: Logger }): Promise<FileSetWatcher> {
  const refused = (error: unknown) =>
    options.log.error({ err: error instanceof Error ? error.message : String(error) }, 'kept the previous write gate: the gate file could not be loaded');
  return watchFiles([file], {
    intervalMs: options.intervalMs,
    read: readIfPresent,
    // Caught here, not thrown: a bad file at start must not keep the door (and every pull) down.
    onChange: ([content]) => {
      try {
        options.gate.set(parseWriteGate(content!.toString('utf8')));
      } catch (error) {
        refused(error);
      }
    },
    onError: refused,
  });
}

async function readIfPresent(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
}
