import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The entry point of the bundled `dockyard` in dist/dockyard/ (`make build`), which is what the
 * image runs. Refuses a bundle that is missing or older than src/, which would test old code.
 */
export function bundledDockyardMain(): string {
  const entry = join(root, 'dist/dockyard/main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run make build (make test and make bench do)`);
  const newestSource = Math.max(
    ...readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((file) => statSync(join(file.parentPath, file.name)).mtimeMs),
    statSync(join(root, 'package-lock.json')).mtimeMs,
  );
  if (statSync(entry).mtimeMs < newestSource) throw new Error(`${entry} is older than src/: run make build (make test and make bench do)`);
  return entry;
}
