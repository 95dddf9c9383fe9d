import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ociArchive, type ImageSpec } from './oci-layout.ts';
import type { TarEntry } from './tar.ts';

/**
 * The images the real node runs, named as the cluster asks for them so nothing is ever pulled:
 * the Registry's default image, the chart's default operator image, the sandbox ("pause") image
 * the node's containerd is configured with, and a shell for test Pods.
 */
export const localImageNames = {
  pause: 'dockyard.local/pause:1',
  busybox: 'dockyard.local/busybox:1',
  registry: 'docker.io/library/registry:3.0.0',
  dockyard: 'docker.io/library/dockyard:dev',
} as const;

/** Debian's statically linked busybox (package busybox-static). */
const busybox = '/bin/busybox';

export interface LocalImageSources {
  /** Holds `registry` (distribution, built by build-binaries.sh). */
  binDir: string;
  /** The operator bundle (`make build`); without it there is no Dockyard image. */
  distDir?: string;
  /** Node.js 24 as test/tools/ensure-node.sh installs it (its bin/ directory). */
  nodeBinDir?: string;
  /** package.json of the repository, copied as the Dockerfile does. */
  packageJson?: string;
}

const directories = (...paths: string[]): TarEntry[] => paths.map((path) => ({ type: 'directory', path }));

async function executable(path: string, from: string): Promise<TarEntry> {
  return { type: 'file', path, data: await readFile(from), mode: 0o755 };
}

/** The sandbox image: a static binary that sleeps as PID 1 until the sandbox is killed. */
async function pauseImage(): Promise<ImageSpec> {
  return {
    name: localImageNames.pause,
    files: [...directories('bin'), await executable('bin/busybox', busybox)],
    entrypoint: ['/bin/busybox', 'sleep', 'infinity'],
  };
}

/** A shell and the usual tools (sh, wget, nslookup, nc) for test Pods. */
async function busyboxImage(): Promise<ImageSpec> {
  const { stdout } = await promisify(execFile)(busybox, ['--list']);
  const applets = stdout.split('\n').filter((name) => name !== '' && name !== 'busybox');
  return {
    name: localImageNames.busybox,
    files: [
      ...directories('bin', 'tmp', 'etc'),
      await executable('bin/busybox', busybox),
      ...applets.map((name): TarEntry => ({ type: 'symlink', path: `bin/${name}`, target: 'busybox' })),
      { type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n') },
    ],
    entrypoint: ['/bin/sh'],
  };
}

/** The minimal configuration upstream's image carries, for `registry serve` without arguments. */
const registryDefaultConfig = `version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
`;

/**
 * distribution's registry as its upstream image lays it out: /bin/registry, the default config
 * at /etc/distribution/config.yml. Upstream's entrypoint script turns `serve FILE` into
 * `registry serve FILE`; here the binary is the entrypoint, which the operator's args
 * (`serve FILE`) run the same way.
 */
async function registryImage(binDir: string): Promise<ImageSpec> {
  return {
    name: localImageNames.registry,
    files: [
      ...directories('bin', 'etc', 'etc/distribution', 'var', 'var/lib', 'var/lib/registry', 'tmp'),
      await executable('bin/registry', join(binDir, 'registry')),
      { type: 'file', path: 'etc/distribution/config.yml', data: Buffer.from(registryDefaultConfig) },
    ],
    entrypoint: ['/bin/registry'],
    cmd: ['serve', '/etc/distribution/config.yml'],
  };
}

/** The shared libraries a dynamically linked binary loads, as ldd resolves them on this host. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ldd', [binary]);
  return [...stdout.matchAll(/(\/\S+)\s+\(0x/g)].map((match) => match[1]!);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Every parent directory of the paths, parents first, so the tar unpacks anywhere. */
function parentDirectories(paths: string[]): TarEntry[] {
  const seen = new Set<string>();
  for (const path of paths) {
    for (let dir = dirname(path); dir !== '.' && dir !== '/'; dir = dirname(dir)) seen.add(dir);
  }
  return directories(...[...seen].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b)));
}

/**
 * What the Dockerfile builds, without Docker: node:24-bookworm-slim's runtime (the Node binary
 * and the Debian libraries it links), /app/package.json and the bundle in /app/dist/dockyard,
 * run as 65532 with `node /app/dist/dockyard/main.js operator` by default. Keep the two in step.
 */
async function dockyardImage(sources: Required<LocalImageSources>): Promise<ImageSpec> {
  const node = join(sources.nodeBinDir, 'node');
  const libraries = await sharedLibraries(node);
  const bundle = await filesUnder(sources.distDir);
  const files: TarEntry[] = [
    await executable('usr/local/bin/node', node),
    ...(await Promise.all(libraries.map(async (library) => executable(library.slice(1), await realpath(library))))),
    { type: 'file', path: 'app/package.json', data: await readFile(sources.packageJson) },
    ...(await Promise.all(
      bundle.map(
        async (file): Promise<TarEntry> => ({ type: 'file', path: join('app/dist/dockyard', relative(sources.distDir, file)), data: await readFile(file) }),
      ),
    )),
  ];
  return {
    name: localImageNames.dockyard,
    files: [...parentDirectories(files.map((file) => file.path)), { type: 'directory', path: 'tmp', mode: 0o1777 }, ...files],
    entrypoint: ['node', '/app/dist/dockyard/main.js'],
    cmd: ['operator'],
    workingDir: '/app',
    user: '65532:65532',
    env: dockyardImageEnv,
  };
}

/** The Dockerfile's ENV lines (a unit test holds them equal), with the PATH node:24 images set. */
export const dockyardImageEnv = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_OPTIONS=--max-old-space-size-percentage=75'];

export interface BuiltImage {
  name: string;
  archive: string;
}

/** Writes each image the sources allow as an OCI layout tarball in outDir (skipping the Dockyard image without a bundle). */
export async function buildLocalImages(outDir: string, sources: LocalImageSources): Promise<BuiltImage[]> {
  await mkdir(outDir, { recursive: true });
  const specs: Promise<ImageSpec>[] = [pauseImage(), busyboxImage(), registryImage(sources.binDir)];
  const { distDir, nodeBinDir, packageJson } = sources;
  if (distDir && nodeBinDir && packageJson && existsSync(join(distDir, 'main.js'))) {
    specs.push(dockyardImage({ ...sources, distDir, nodeBinDir, packageJson }));
  }
  const built: BuiltImage[] = [];
  for (const spec of await Promise.all(specs)) {
    const archive = join(outDir, `${spec.name.replace(/^.*\//, '').replace(':', '-')}.oci.tar`);
    await writeFile(archive, ociArchive(spec).archive);
    built.push({ name: spec.name, archive });
  }
  return built;
}
