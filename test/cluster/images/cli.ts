// `make images`: the local OCI images as archives in --out, imported into the real node of the
// running `make dev` cluster when there is one (its containerd socket is in the cluster's state).
//   node test/cluster/images/cli.ts [--out DIR] [--state FILE]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { controlPlaneBinDir } from '../binaries.ts';
import { importImages } from '../real-node/image-import.ts';
import { buildLocalImages } from './local-images.ts';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: '.cache/images' },
    state: { type: 'string', default: '.cache/dev-cluster/state.json' },
  },
});

const started = performance.now();
const built = await buildLocalImages(resolve(values.out), {
  binDir: await controlPlaneBinDir(),
  distDir: join(repositoryRoot, 'dist', 'dockyard'),
  nodeBinDir: dirname(process.execPath),
  packageJson: join(repositoryRoot, 'package.json'),
});
for (const image of built) process.stdout.write(`${image.name}  ${image.archive}\n`);
process.stderr.write(`images assembled in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);

const stateFile = resolve(values.state);
const socket = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { containerdSocket?: string }).containerdSocket : undefined;
if (socket !== undefined && existsSync(socket)) {
  await importImages(socket, built);
  process.stderr.write(`imported into the real node's containerd (${socket})\n`);
} else {
  process.stderr.write('no real node runs (make dev starts one): import later with `ctr -n k8s.io images import FILE`\n');
}
