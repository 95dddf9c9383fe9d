import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The README's "Try it" block, as a user would paste it into the second shell. Only what the
 * test's cluster already did is left out, each for a stated reason; every other line runs as
 * written, so a quickstart that drifts from what Dockyard does fails here.
 */
export async function readQuickstart(root: string, imagesDir: string): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Try it\n'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md: no sh block under "## Try it"');
  const replaced = new Set<string>();
  const lines = block.split('\n').filter((line) => {
    const command = line.split(/\s+#/)[0]!.trim();
    // The e2e cluster is `make dev`'s cluster, already up, its kubeconfig in the environment,
    // and its real node already imported the images `make images` assembles.
    for (const skipped of ['make dev', 'export KUBECONFIG=...', 'make images']) {
      if (command === skipped) {
        replaced.add(skipped);
        return false;
      }
    }
    return true;
  });
  if (replaced.size !== 3)
    throw new Error(`README.md's quickstart changed shape: expected make dev, export KUBECONFIG and make images, found ${[...replaced].join(', ')}`);
  return lines.join('\n').replaceAll('.cache/images/', `${imagesDir}/`);
}

/** Runs the script with bash, stopping at the first failing command; background jobs (the port-forward) end with it. */
export function runQuickstart(
  script: string,
  options: { cwd: string; kubeconfig: string; timeoutMs: number },
): Promise<{ output: string; code: number | null }> {
  const wrapped = `set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nset -x\n${script}`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', wrapped], {
      cwd: options.cwd,
      env: { ...process.env, KUBECONFIG: options.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ output, code }));
  });
}
