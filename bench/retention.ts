// Retention against the CLIs people run from cron (issue 12): 50 repositories x 400 tags, keep
// the 10 most recently pushed, on distribution 3.0.0 and Debian's 2.8.2. Contenders, each on a
// registry of its own started from a copy of one filled storage: the floor (bench/support/
// retention-floor.ts: the requests a safe deletion needs and no more), `dockyard retention run`
// as its Job runs it (the bundled CLI, its policy in a local control plane), regclient's regbot
// and crane in a shell loop (built from their Go modules by test/cluster/build-bench-binaries.sh).
// Requests are counted at the registry (its access log); peak RSS is the contender's process tree.
// After each run, exactly the 10 newest tags of every repository must remain, or the bench fails.
// The plain registries have no push records: Dockyard ranks by the image configs' `created`
// times (the fill makes them follow the push order), which costs a config read per image that
// the floor, told the push order, does not make; those reads are counted apart.
// `dockyard-door` is Dockyard on a registry Dockyard runs (bench/support/retention-door.ts): the
// same distribution behind the real door, every manifest pushed through it so that it holds push
// records, and the run made with the maintainer identity through it, as the Job makes it.
// `floor-door` is the floor through that door (token authentication), which shows what the door
// itself costs; the issue's floor stays `floor`, direct to a plain registry.
//   node bench/retention.ts
//   DOCKYARD_BENCH_RETENTION_QUICK=1 (5 x 40), or _REPOSITORIES, _TAGS, _KEEP; _FLAVORS
//   (distribution-3,distribution-2.8); _CONTENDERS
//   (floor,floor-created,floor-door,dockyard,dockyard-door,regbot,crane); _LOGS=DIR keeps each
//   contender's output there (Dockyard's log lines time its phases)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import { debianRegistryAvailable, LocalRegistry, type RegistryFlavor } from '../test/registry/local-registry.ts';
import { AccessLog, type RequestCounts } from './support/access-log.ts';
import { cpuSecondsOf, endedChildrenCpuSeconds } from './support/cpu-time.ts';
import { runMeasured, type TreeRun } from './support/process-tree.ts';
import { DockyardRetentionCluster } from './support/retention-dockyard.ts';
import { type DoorTemplate, DoorRegistryUnderTest, fillThroughDoor } from './support/retention-door.ts';
import { expectedSurvivors, repositoryName, type RetentionShape, writeRetentionStorage } from './support/retention-fill.ts';
import { writePeerFiles } from './support/retention-peers.ts';
import { formatRetentionTable, type ContenderResult } from './support/retention-table.ts';

const env = (name: string) => process.env[`DOCKYARD_BENCH_RETENTION_${name}`];
const quick = env('QUICK') === '1';
const shape: RetentionShape = {
  repositories: Number(env('REPOSITORIES') ?? (quick ? 5 : 50)),
  tagsPerRepository: Number(env('TAGS') ?? (quick ? 40 : 400)),
  keep: Number(env('KEEP') ?? 10),
};
const flavors = (env('FLAVORS') ?? 'distribution-3,distribution-2.8').split(',') as RegistryFlavor[];
const contenders = (env('CONTENDERS') ?? 'floor,floor-created,floor-door,dockyard,dockyard-door,regbot,crane').split(',');
const doorContenders = new Set(['floor-door', 'dockyard-door']);
/** Dockyard's registry client default (src/oci/transport.ts); every contender gets as much. */
const concurrency = 8;
const deletions = shape.repositories * (shape.tagsPerRepository - shape.keep);
const floorScript = new URL('./support/retention-floor.ts', import.meta.url).pathname;
const run = promisify(execFile);

// Registries' storage on tmpfs where there is one: copying tens of thousands of small files for
// each contender, and removing them after, is then seconds, and disk noise stays out of the figures.
if (process.env['TMPDIR'] === undefined && existsSync('/dev/shm')) process.env['TMPDIR'] = '/dev/shm';

const began = Date.now();
const progress = (message: string) => process.stderr.write(`[retention +${((Date.now() - began) / 1000).toFixed(0)}s] ${message}\n`);

const binDir = await controlPlaneBinDir();
const peersBuild = await run('bash', [new URL('../test/cluster/build-bench-binaries.sh', import.meta.url).pathname]);
if (peersBuild.stderr.trim()) process.stderr.write(peersBuild.stderr);
const peerBinDir = peersBuild.stdout.trim().split('\n').at(-1)!;
const scratch = await mkdtemp(join(tmpdir(), 'dockyard-bench-retention-'));
const dockyard = contenders.some((contender) => contender.startsWith('dockyard'))
  ? await DockyardRetentionCluster.start(binDir, shape.keep, deletions)
  : undefined;
const writing = performance.now();
const template = await writeRetentionStorage(shape);
progress(`${shape.repositories} x ${shape.tagsPerRepository} tags written in ${((performance.now() - writing) / 1000).toFixed(0)}s`);
const blobsOnly = contenders.some((contender) => doorContenders.has(contender)) ? await writeRetentionStorage(shape, { blobsOnly: true }) : undefined;
const load = () =>
  loadavg()
    .map((average) => average.toFixed(2))
    .join(' ');

/** What a contender's registry offers the bench: plain (LocalRegistry) or Dockyard-run (DoorRegistryUnderTest). */
type ContenderRegistry = Pick<LocalRegistry, 'flavor' | 'logFile' | 'tags' | 'stop'>;

/** Every repository must hold exactly the newest `keep` tags: a contender that deleted anything else fails the bench. */
async function verify(registry: ContenderRegistry, contender: string): Promise<void> {
  const expected = expectedSurvivors(shape).join(',');
  for (let index = 0; index < shape.repositories; index++) {
    const remaining = (await registry.tags(repositoryName(index))).join(',');
    if (remaining !== expected) throw new Error(`${contender} on ${registry.flavor}: ${repositoryName(index)} holds [${remaining}], expected [${expected}]`);
  }
}

async function runContender(contender: string, registry: LocalRegistry | DoorRegistryUnderTest): Promise<TreeRun> {
  if (registry instanceof DoorRegistryUnderTest) {
    if (contender === 'dockyard-door') return runMeasured(process.execPath, dockyard!.command(registry.url, results.length, registry.maintainerCredentialsDir));
    const credentials = { DOCKYARD_BENCH_FLOOR_USERNAME: registry.maintainer.username, DOCKYARD_BENCH_FLOOR_PASSWORD: registry.maintainer.password };
    return runMeasured(
      process.execPath,
      [floorScript, registry.url, String(shape.keep), String(concurrency), registry.flavor === 'distribution-3' ? 'tag' : 'digest'],
      {
        env: { ...process.env, ...credentials },
      },
    );
  }
  const files = await writePeerFiles(scratch, registry.host, registry.flavor, shape.keep, concurrency);
  const path = `${peerBinDir}:${process.env['PATH']}`;
  switch (contender) {
    case 'floor':
    case 'floor-created':
      return runMeasured(process.execPath, [
        floorScript,
        registry.url,
        String(shape.keep),
        String(concurrency),
        registry.flavor === 'distribution-3' ? 'tag' : 'digest',
        contender === 'floor' ? 'order' : 'created',
      ]);
    case 'dockyard':
      return runMeasured(process.execPath, dockyard!.command(registry.url, results.length));
    case 'regbot':
      return runMeasured(join(peerBinDir, 'regbot'), ['once', '--config', files.regbot, '--verbosity', 'warn'], { env: { ...process.env, PATH: path } });
    case 'crane':
      return runMeasured('bash', [files.crane, registry.host, String(shape.keep), String(concurrency)], { env: { ...process.env, PATH: path } });
    default:
      throw new Error(`DOCKYARD_BENCH_RETENTION_CONTENDERS: unknown contender ${JSON.stringify(contender)}`);
  }
}

/**
 * The requests a contender sent that the door answers itself, as the contender counted them: the
 * floor's token requests (its output line), Dockyard's token and push-record requests (its last
 * log line's request counts).
 */
function doorOnlyRequestsOf(contender: string, stdout: string): number {
  const lines = stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  if (contender === 'floor-door') return Number(lines.at(-1)?.['tokenRequests']);
  const requests = lines.find((line) => line['msg'] === 'retention run ended')?.['requests'] as Record<string, number> | undefined;
  return (requests?.['tokenRequests'] ?? Number.NaN) + (requests?.['listing'] ?? Number.NaN);
}

const results: ContenderResult[] = [];
try {
  for (const flavor of flavors) {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) {
      console.log('distribution-2.8: Debian docker-registry missing (make tools); skipped');
      continue;
    }
    let doorTemplate: DoorTemplate | undefined;
    if (blobsOnly !== undefined) {
      doorTemplate = await fillThroughDoor({ flavor, binDir, shape, blobsStorageDir: blobsOnly.storageDir, scratch });
      progress(`${flavor}: ${shape.repositories * shape.tagsPerRepository} manifests pushed through the door in ${(doorTemplate.pushMs / 1000).toFixed(0)}s`);
    }
    for (const contender of contenders) {
      const registry = doorContenders.has(contender)
        ? await DoorRegistryUnderTest.start(doorTemplate!, binDir, scratch)
        : await LocalRegistry.start({
            flavor,
            binDir,
            seedStorageFrom: template.storageDir,
            extraConfig: { log: { level: 'warn', accesslog: { disabled: false } } },
          });
      try {
        const loadBefore = load();
        const log = new AccessLog(registry.logFile);
        const mark = log.mark();
        const registryPid = registry instanceof DoorRegistryUnderTest ? registry.dockyard.registry.pid : registry.pid;
        const doorPid = registry instanceof DoorRegistryUnderTest ? registry.door.process.pid : undefined;
        const cpuBefore = { contender: endedChildrenCpuSeconds(), registry: cpuSecondsOf(registryPid), door: cpuSecondsOf(doorPid) };
        const measured = await runContender(contender, registry);
        const cpuSeconds = {
          contender: endedChildrenCpuSeconds() - cpuBefore.contender,
          registry: cpuSecondsOf(registryPid) - cpuBefore.registry,
          ...(doorPid !== undefined ? { door: cpuSecondsOf(doorPid) - cpuBefore.door } : {}),
        };
        const requests: RequestCounts = log.since(mark);
        const logs = env('LOGS');
        if (logs !== undefined) await writeFile(join(logs, `${flavor}-${contender}.log`), `${measured.stdout}\n${measured.stderr}`);
        if (measured.exitCode !== 0)
          throw new Error(`${contender} on ${flavor} exited ${measured.exitCode}:\n${measured.stderr.slice(-3000)}${measured.stdout.slice(-2000)}`);
        const doorPeakRssMiB = registry instanceof DoorRegistryUnderTest ? registry.doorPeakRssMiB() : undefined;
        const doorOnlyRequests = registry instanceof DoorRegistryUnderTest ? doorOnlyRequestsOf(contender, measured.stdout) : undefined;
        await verify(registry, contender);
        results.push({
          flavor,
          contender,
          wallMs: measured.wallMs,
          peakRssMiB: measured.peakRssMiB,
          requests,
          deletions,
          load: `${loadBefore} / ${load()}`,
          doorPeakRssMiB,
          doorOnlyRequests,
          cpuSeconds,
        });
        progress(
          `${flavor}: ${contender} ${(measured.wallMs / 1000).toFixed(1)}s, ${requests.total} requests (${JSON.stringify(requests)}${doorOnlyRequests !== undefined ? `, ${doorOnlyRequests} answered by the door` : ''}), CPU ${JSON.stringify(cpuSeconds)}, load ${loadBefore} -> ${load()}, verified`,
        );
      } finally {
        await registry.stop();
      }
    }
    await doorTemplate?.remove();
  }
} finally {
  await template.remove();
  await blobsOnly?.remove();
  await dockyard?.stop();
  await rm(scratch, { recursive: true, force: true });
}
console.log(formatRetentionTable(results, shape, concurrency));
