import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const buildScript = join(dirname(fileURLToPath(import.meta.url)), 'build-binaries.sh');

/**
 * The directory holding the control plane's binaries. `make` builds them before the tests run
 * and passes DOCKYARD_BIN_DIR; without it, the build script runs here (a no-op when cached).
 */
export async function controlPlaneBinDir(): Promise<string> {
  const fromEnv = process.env['DOCKYARD_BIN_DIR'];
  if (fromEnv) return fromEnv;
  const { stdout } = await promisify(execFile)('bash', [buildScript], { maxBuffer: 16 * 1024 * 1024 });
  const lines = stdout.trim().split('\n');
  return lines[lines.length - 1]!;
}
