import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { freeLoopbackPorts } from '../cluster/ports.ts';
import { ManagedProcess, ProcessRegistry } from '../cluster/processes.ts';
import { eventually } from '../support/eventually.ts';

export interface S3Credentials {
  accessKeyID: string;
  secretAccessKey: string;
}

export interface S3ServerOptions {
  /** Directory holding the `versitygw` binary (test/cluster/build-binaries.sh). */
  binDir: string;
  /** Buckets that exist from the start. */
  buckets: string[];
  credentials?: S3Credentials;
  region?: string;
}

/**
 * A real S3-compatible server on a free 127.0.0.1 port: versitygw, built from its Go module
 * (test/cluster/go/versitygw), over a temporary directory (its posix backend: each top-level
 * directory is a bucket, each object a file below it). It checks AWS signature v4 against the
 * one root credential it is given, as a bucket with access keys does. Addressed in path style
 * (http://127.0.0.1:PORT/BUCKET/KEY): it has no DNS name to put the bucket in.
 */
export class S3Server {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: S3Credentials;
  private readonly dataDir: string;
  private readonly workDir: string;
  private readonly process: ManagedProcess;
  private readonly processes: ProcessRegistry;

  private constructor(fields: {
    endpoint: string;
    region: string;
    credentials: S3Credentials;
    dataDir: string;
    workDir: string;
    process: ManagedProcess;
    processes: ProcessRegistry;
  }) {
    this.endpoint = fields.endpoint;
    this.region = fields.region;
    this.credentials = fields.credentials;
    this.dataDir = fields.dataDir;
    this.workDir = fields.workDir;
    this.process = fields.process;
    this.processes = fields.processes;
  }

  static async start(options: S3ServerOptions): Promise<S3Server> {
    const binary = join(options.binDir, 'versitygw');
    if (!existsSync(binary)) throw new Error(`versitygw not found at ${binary} (run make binaries)`);
    const workDir = await mkdtemp(join(tmpdir(), 'dockyard-s3-'));
    const dataDir = join(workDir, 'data');
    // A bucket of the posix backend is a directory; the root account owns what it did not create.
    for (const bucket of options.buckets) await mkdir(join(dataDir, bucket), { recursive: true });
    const [port] = await freeLoopbackPorts(1);
    const credentials = options.credentials ?? { accessKeyID: 'dockyard-test', secretAccessKey: 'dockyard-test-secret-key' };
    const region = options.region ?? 'us-east-1';
    const processes = new ProcessRegistry(join(workDir, 'process-groups'), workDir);
    processes.armReaper();
    const managed = new ManagedProcess(
      {
        name: 'versitygw',
        command: binary,
        args: ['--port', `127.0.0.1:${port}`, '--region', region, '--quiet', 'posix', dataDir],
        logFile: join(workDir, 'versitygw.log'),
        // The root credential goes by environment, not argv, which `ps` shows to every user.
        env: { PATH: process.env['PATH'] ?? '', ROOT_ACCESS_KEY: credentials.accessKeyID, ROOT_SECRET_KEY: credentials.secretAccessKey },
      },
      processes,
    );
    const server = new S3Server({ endpoint: `http://127.0.0.1:${port}`, region, credentials, dataDir, workDir, process: managed, processes });
    managed.start();
    try {
      // Unsigned requests are refused with 403: the server answers, and checks signatures.
      await eventually(async () => (await fetch(server.endpoint)).status === 403, {
        what: `versitygw to answer on ${server.endpoint}`,
        timeoutMs: 20_000,
        intervalMs: 100,
      });
    } catch (error) {
      const log = managed.logTail();
      await server.stop();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${log}`);
    }
    return server;
  }

  /** Every object key in `bucket`, sorted: what the server holds, read from its backing directory. */
  async objectKeys(bucket: string, prefix = ''): Promise<string[]> {
    const root = join(this.dataDir, bucket);
    const start = join(root, prefix);
    if (!existsSync(start)) return [];
    const entries = await readdir(start, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)))
      .filter((key) => !key.startsWith('.sgwtmp'))
      .sort();
  }

  /** Bytes of every object in `bucket` but upload scratch (`_uploads`, which distribution purges on its own). */
  async bytesStored(bucket: string): Promise<number> {
    let total = 0;
    for (const key of await this.objectKeys(bucket)) {
      if (key.includes('/_uploads/')) continue;
      try {
        total += (await stat(join(this.dataDir, bucket, key))).size;
      } catch (error) {
        // Deleted while counted: it holds nothing any more.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return total;
  }

  logTail(lines = 30): string {
    return this.process.logTail(lines);
  }

  async stop(): Promise<void> {
    await this.process.stop();
    this.processes.disarmReaper();
    await rm(this.workDir, { recursive: true, force: true });
  }
}
