import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Secret volume the way kubelet's AtomicWriter keeps it: each visible file is a symlink into
 * `..data`, itself a symlink to a versioned directory that an update swaps in with one rename.
 */
export class SecretVolume {
  readonly dir = mkdtempSync(join(tmpdir(), 'dockyard-volume-'));
  private generation = 0;

  /** `files` are the Secret's keys and their decoded values. */
  constructor(files: Record<string, string>) {
    this.write(files);
    for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(this.dir, name));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Replaces every file at once, as kubelet does when the Secret changed. Keys stay the same. */
  write(files: Record<string, string>): void {
    const version = `..version_${++this.generation}`;
    mkdirSync(join(this.dir, version));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, version, name), content);
    symlinkSync(version, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Secret's `data` (base64 values) decoded into file contents. */
export function decodeSecretData(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}
