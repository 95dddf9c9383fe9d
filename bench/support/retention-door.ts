import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { RegistrySpec } from '../../src/api/v1alpha1/registry.ts';
import { RegistryClient } from '../../src/oci/client.ts';
import { mediaTypes } from '../../src/oci/media-types.ts';
import { type Credential, type CredentialPlan, planCredentials } from '../../src/registry-auth/credential-plan.ts';
import { mapLimited } from '../../src/runtime/map-limited.ts';
import { bundledDockyardMain } from '../../test/support/bundle.ts';
import { DockyardRegistry, type RunningAuthServer } from '../../test/registry/dockyard-registry.ts';
import type { RegistryFlavor } from '../../test/registry/local-registry.ts';
import { TokenAuthClient } from '../../test/registry/token-auth.ts';
import { procMemoryMiB } from './proc-status.ts';
import { repositoryName, retentionImage, type RetentionShape, tagName } from './retention-fill.ts';

const run = promisify(execFile);

/**
 * The registry as Dockyard runs it, for the retention benchmark: distribution with its rendered
 * config (token authentication) and the real door (the bundled `dockyard auth-server`, what the
 * image runs) in front, which records every push. Only the registry's log level differs from the
 * Pod: warn, as on the benchmark's plain registries, so that both do the same logging work (its
 * access log, where requests are counted, stays on).
 */
const spec = RegistrySpec.parse({ storage: { emptyDir: {} } });
const quietLog = { REGISTRY_LOG_LEVEL: 'warn' };
/** How often the door appends its records while the fill pushes (its default is 5 s). */
const fillFlushInterval = '1s';

async function startDockyardRegistry(flavor: RegistryFlavor, binDir: string, plan: CredentialPlan, seedStorageFrom: string) {
  return DockyardRegistry.start({ flavor, binDir, spec, namespace: 'bench', name: 'bench', credentials: plan, seedStorageFrom, extraEnv: quietLog });
}

/** A registry filled through the door: its storage and the door's push records, to start each contender's copy from. */
export interface DoorTemplate {
  flavor: RegistryFlavor;
  plan: CredentialPlan;
  storageDir: string;
  recordsDir: string;
  /** Wall time of the manifest pushes through the door. */
  pushMs: number;
  remove: () => Promise<void>;
}

/**
 * Pushes every tag's manifest through the door with the push identity, repositories side by side
 * and each repository's tags in order, onto storage that already holds the blobs
 * (writeRetentionStorage's blobsOnly): the door records each push at distribution's 201, as it
 * does in the Pod. Each push starts after the previous one of its repository was answered and the
 * clock moved on, so push records rank tags exactly in push (and name) order, with no tie.
 */
export async function fillThroughDoor(options: {
  flavor: RegistryFlavor;
  binDir: string;
  shape: RetentionShape;
  blobsStorageDir: string;
  scratch: string;
}): Promise<DoorTemplate> {
  const plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
  const directory = await mkdtemp(join(options.scratch, `door-template-${options.flavor}-`));
  const recordsDir = join(directory, 'push-records');
  const storageDir = join(directory, 'storage');
  const remove = () => rm(directory, { recursive: true, force: true });
  const dockyard = await startDockyardRegistry(options.flavor, options.binDir, plan, options.blobsStorageDir);
  try {
    const door = await dockyard.startAuthServer({ recordsDir, recordsInstance: 'fill', recordsFlushInterval: fillFlushInterval }, bundledDockyardMain());
    const pusher = new TokenAuthClient(plan.credentials.push.published!);
    const started = performance.now();
    const repositories = Array.from({ length: options.shape.repositories }, (_, index) => repositoryName(index));
    await mapLimited(repositories, 8, async (repository) => {
      for (let index = 0; index < options.shape.tagsPerRepository; index++) {
        const { manifest } = retentionImage(repository, index);
        const answer = await pusher.fetch(`${door.url}/v2/${repository}/manifests/${tagName(index)}`, {
          method: 'PUT',
          headers: { 'content-type': mediaTypes.ociManifest },
          body: manifest.bytes,
        });
        const body = await answer.text();
        if (answer.status !== 201) throw new Error(`push ${repository}:${tagName(index)} through the door: HTTP ${answer.status} ${body.slice(0, 300)}`);
        await sleep(1);
      }
    });
    const pushMs = performance.now() - started;
    // Stopped, the door writes its whole state as a snapshot: the records each contender's door starts from.
    await door.process.stop();
    await run('cp', ['-a', dockyard.registry.storageDir, storageDir]);
    return { flavor: options.flavor, plan, storageDir, recordsDir, pushMs, remove };
  } catch (error) {
    await remove();
    throw error;
  } finally {
    await dockyard.stop();
  }
}

/**
 * One contender's Dockyard-run registry: a copy of the template's storage behind a fresh door
 * that starts from a copy of the template's push records (a door reads every records file in its
 * directory at start, as after a rollout).
 */
export class DoorRegistryUnderTest {
  readonly dockyard: DockyardRegistry;
  readonly door: RunningAuthServer;
  /** A directory holding the maintainer's `username` and `password`, as the retention Job mounts its Secret. */
  readonly maintainerCredentialsDir: string;
  readonly maintainer: Credential;
  private readonly directory: string;

  private constructor(dockyard: DockyardRegistry, door: RunningAuthServer, directory: string, maintainer: Credential) {
    this.dockyard = dockyard;
    this.door = door;
    this.directory = directory;
    this.maintainer = maintainer;
    this.maintainerCredentialsDir = join(directory, 'maintainer');
  }

  static async start(template: DoorTemplate, binDir: string, scratch: string): Promise<DoorRegistryUnderTest> {
    const directory = await mkdtemp(join(scratch, 'door-'));
    const recordsDir = join(directory, 'push-records');
    await run('cp', ['-a', template.recordsDir, recordsDir]);
    const maintainer = template.plan.credentials.maintainer.published!;
    await mkdir(join(directory, 'maintainer'));
    await writeFile(join(directory, 'maintainer', 'username'), maintainer.username);
    await writeFile(join(directory, 'maintainer', 'password'), maintainer.password, { mode: 0o600 });
    const dockyard = await startDockyardRegistry(template.flavor, binDir, template.plan, template.storageDir);
    try {
      const door = await dockyard.startAuthServer({ recordsDir, recordsInstance: 'bench' }, bundledDockyardMain());
      return new DoorRegistryUnderTest(dockyard, door, directory, maintainer);
    } catch (error) {
      await dockyard.stop();
      await rm(directory, { recursive: true, force: true });
      throw error;
    }
  }

  get url(): string {
    return this.door.url;
  }

  get flavor(): RegistryFlavor {
    return this.dockyard.registry.flavor;
  }

  /** distribution's log behind the door, with its access log: requests are counted there, as for every contender. */
  get logFile(): string {
    return this.dockyard.registry.logFile;
  }

  /** The door's peak resident memory so far (it serves, proxies and records for the whole run). */
  doorPeakRssMiB(): number {
    const pid = this.door.process.pid;
    return pid === undefined ? 0 : procMemoryMiB(pid, 'VmHWM');
  }

  /** The tags of `repository`, sorted, read through the door with the maintainer identity. */
  async tags(repository: string): Promise<string[]> {
    const client = new RegistryClient({ url: this.url, credentials: this.maintainer });
    try {
      return (await client.allTags(repository)).sort();
    } finally {
      await client.close();
    }
  }

  async stop(): Promise<void> {
    await this.dockyard.stop();
    await rm(this.directory, { recursive: true, force: true });
  }
}
