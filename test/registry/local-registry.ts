import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { RegistryClient } from '../../src/oci/client.ts';
import { freeLoopbackPorts } from '../cluster/ports.ts';
import { ManagedProcess, ProcessRegistry } from '../cluster/processes.ts';
import { eventually } from '../support/eventually.ts';

const run = promisify(execFile);

/**
 * distribution-3 is built from its Go module (test/cluster/go/registry); distribution-2.8 is
 * Debian's docker-registry package. The registry client must work with both.
 */
export type RegistryFlavor = 'distribution-3' | 'distribution-2.8';

export const debianRegistryBinary = '/usr/bin/docker-registry';

export interface LocalRegistryOptions {
  flavor?: RegistryFlavor;
  /** Directory holding the `registry` binary (distribution-3). */
  binDir?: string;
  /** Merged over the generated config.yml, for tests of specific registry settings. */
  extraConfig?: Record<string, unknown>;
  /**
   * The whole config.yml instead of the generated one, such as Dockyard's rendered config, given
   * the port the registry must listen on and its storage directory.
   */
  config?: (local: { port: number; storageDirectory: string }) => string;
  /** Added to the registry's environment, which distribution merges over config.yml. */
  env?: Record<string, string>;
  /** A storage directory to start from (copied, not shared): identical content without pushing it again. */
  seedStorageFrom?: string;
}

/** The config both flavours accept: filesystem storage, deletes on, loopback only. */
export function localRegistryConfig(rootDirectory: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: rootDirectory },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, headers: { 'X-Content-Type-Options': ['nosniff'] } },
    ...extra,
  };
}

/** A real CNCF distribution registry process on a free 127.0.0.1 port. */
export class LocalRegistry {
  readonly flavor: RegistryFlavor;
  /** host:port, as it appears in image references. */
  readonly host: string;
  /** http://host:port, the base of the /v2/ API. */
  readonly url: string;
  readonly storageDir: string;
  /** The registry's standard output and error (its access log when the config enables one). */
  readonly logFile: string;
  private readonly workDir: string;
  private readonly process: ManagedProcess;
  private readonly registry: ProcessRegistry;

  private constructor(flavor: RegistryFlavor, port: number, workDir: string, process: ManagedProcess, registry: ProcessRegistry) {
    this.flavor = flavor;
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
    this.workDir = workDir;
    this.storageDir = join(workDir, 'storage');
    this.logFile = join(workDir, 'registry.log');
    this.process = process;
    this.registry = registry;
  }

  static async start(options: LocalRegistryOptions = {}): Promise<LocalRegistry> {
    const flavor = options.flavor ?? 'distribution-3';
    const binary = flavor === 'distribution-3' ? join(requireBinDir(options.binDir), 'registry') : debianRegistryBinary;
    if (!existsSync(binary)) throw new Error(`${flavor} registry binary not found at ${binary} (run make tools binaries)`);

    const workDir = await mkdtemp(join(tmpdir(), 'dockyard-registry-'));
    const [port] = await freeLoopbackPorts(1);
    const configFile = join(workDir, 'config.yml');
    const storageDirectory = join(workDir, 'storage');
    const config = options.config?.({ port: port!, storageDirectory }) ?? stringify(localRegistryConfig(storageDirectory, port!, options.extraConfig));
    await writeFile(configFile, config);
    // cp -a: a filled registry is tens of thousands of small files, which cp copies far faster than fs.cp.
    if (options.seedStorageFrom !== undefined) await run('cp', ['-a', options.seedStorageFrom, storageDirectory]);

    const registry = new ProcessRegistry(join(workDir, 'process-groups'), workDir);
    registry.armReaper();
    const managed = new ManagedProcess(
      { name: flavor, command: binary, args: ['serve', configFile], logFile: join(workDir, 'registry.log'), env: { ...podLikeEnvironment(), ...options.env } },
      registry,
    );
    const local = new LocalRegistry(flavor, port!, workDir, managed, registry);
    managed.start();
    try {
      // 401: the registry answers, and asks for a token (token authentication is configured).
      await eventually(async () => [200, 401].includes((await fetch(`${local.url}/v2/`)).status), {
        what: `${flavor} to answer /v2/ on ${local.host}`,
        timeoutMs: 20_000,
        intervalMs: 100,
      });
    } catch (error) {
      const log = managed.logTail();
      await local.stop();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${log}`);
    }
    return local;
  }

  /** The registry process's id while it runs, for memory figures. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** The tags of `repository`, sorted, read through the OCI client as retention reads them. */
  async tags(repository: string): Promise<string[]> {
    const client = new RegistryClient({ url: this.url });
    try {
      return (await client.allTags(repository)).sort();
    } finally {
      await client.close();
    }
  }

  async stop(): Promise<void> {
    await this.process.stop();
    this.registry.disarmReaper();
    await rm(this.workDir, { recursive: true, force: true });
  }
}

/**
 * The test runner's environment without the AWS SDK's variables, which a registry Pod does not
 * have either: a machine's AWS_CA_BUNDLE makes 2.8's S3 driver panic at start ("unable to load
 * custom CA bundle, HTTPClient's transport unsupported type"), and AWS_ACCESS_KEY_ID and the like
 * would stand in for credentials a test means to pass through the rendered config.
 */
function podLikeEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
}

function requireBinDir(binDir: string | undefined): string {
  const dir = binDir ?? process.env['DOCKYARD_BIN_DIR'];
  if (!dir) throw new Error('no binDir given and DOCKYARD_BIN_DIR is not set');
  return dir;
}

export function debianRegistryAvailable(): boolean {
  return existsSync(debianRegistryBinary);
}
