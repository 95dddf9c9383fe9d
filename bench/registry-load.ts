// What the auth container (the Pod's door) costs under load: N parallel pullers (manifest GETs,
// blob GETs) and pushers (monolithic blob uploads) against distribution 3.0.0 straight and through
// `dockyard auth-server` as the image runs it (the bundle), with the same bearer token both ways,
// on loopback. Rounds alternate direct and door so that the machine's other load hits both alike.
// A third target adds the node proxy in front of the door, the path a Pod takes when it pulls
// from localhost:PORT on its node.
// Bounded: every phase runs for a fixed time and then stops. Prints throughput, p50/p99, errors,
// the door/direct ratios (target <= 1.15 at p50 and p99 for GETs), the node proxy's cost over the
// door alone, and each process's peak RSS. The door and the node proxy run as they ship: each in a
// memory cgroup of its container's limit, with the heap cap the image sets (75% of the limit).
//   node bench/registry-load.ts [seconds per phase, default 4] [parallel clients, default 8] [rounds, default 3]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { RegistrySpec } from '../src/api/v1alpha1/registry.ts';
import { manifestAccept } from '../src/oci/media-types.ts';
import { planCredentials } from '../src/registry-auth/credential-plan.ts';
import { tokenPath, tokenService } from '../src/registry-auth/pod-contract.ts';
import { authContainerResources } from '../src/controllers/registry/builders/deployment.ts';
import { nodeProxyResources } from '../src/controllers/registry/builders/node-proxy-daemon-set.ts';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import { dockyardImageEnv } from '../test/cluster/images/local-images.ts';
import { freeLoopbackPorts } from '../test/cluster/ports.ts';
import { DockyardRegistry } from '../test/registry/dockyard-registry.ts';
import { buildImage, digestOf } from '../test/registry/images.ts';
import { RegistryPusher } from '../test/registry/push.ts';
import { eventually } from '../test/support/eventually.ts';
import { createMemoryCgroup, memoryLimitBytes, type MemoryCgroup } from './support/memory-cgroup.ts';
import { procMemoryMiB } from './support/proc-status.ts';

const phaseSeconds = Number(process.argv[2] ?? 4);
const clients = Number(process.argv[3] ?? 8);
const rounds = Number(process.argv[4] ?? 3);
const namespace = 'bench';
const name = 'load';
const repository = 'bench/app';
const bundle = join(import.meta.dirname, '../dist/dockyard/main.js');
let stopNodeProxy: (() => Promise<void>) | undefined;

type Target = 'direct' | 'door' | 'node proxy';
const targets: readonly Target[] = ['direct', 'door', 'node proxy'];
type Operation = 'manifest GET' | 'blob GET (1 MiB)' | 'blob push (256 KiB)';

interface Samples {
  latenciesMs: number[];
  errors: number;
  seconds: number;
}

/** The container's memory limit in MiB, as the builders ship it. */
const limitMiB = (resources: { limits?: { [key: string]: string } }, container: string) =>
  memoryLimitBytes(resources.limits?.['memory'], container) / (1024 * 1024);
// The image sets a heap cap as a share of the container's limit; a process moved into a cgroup
// after it started cannot size its heap from it, so the same share is given in MiB.
const heapCapPercent = Number(/--max-old-space-size-percentage=(\d+)/.exec(dockyardImageEnv.join(' '))?.[1]);
if (!Number.isFinite(heapCapPercent)) throw new Error(`the image's env sets no heap cap: ${dockyardImageEnv.join(' ')}`);
/** The heap cap the image's NODE_OPTIONS gives under `limit` MiB. */
const heapCapOptions = (limit: number) => `--max-old-space-size=${Math.floor((limit * heapCapPercent) / 100)}`;
const limits = { door: limitMiB(authContainerResources, 'the auth container'), nodeProxy: limitMiB(nodeProxyResources, 'the node proxy') };
const cgroups: Partial<Record<keyof typeof limits, MemoryCgroup>> = {};
/** Puts a running process in a memory cgroup of `limit` MiB, as kubelet puts a container; without the rights to, says so and goes on unlimited. */
async function confine(which: keyof typeof limits, pid: number | undefined): Promise<void> {
  try {
    const cgroup = await createMemoryCgroup(`dockyard-bench-${which}-${process.pid}`, limits[which] * 1024 * 1024);
    cgroups[which] = cgroup;
    if (pid !== undefined) await writeFile(cgroup.procsFile, String(pid));
  } catch (error) {
    console.log(`${which}: runs without a memory limit (${error instanceof Error ? error.message : String(error)})`);
  }
}

const plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
const dockyard = await DockyardRegistry.start({
  flavor: 'distribution-3',
  binDir: await controlPlaneBinDir(),
  spec: RegistrySpec.parse({ storage: { emptyDir: {} } }),
  namespace,
  name,
  credentials: plan,
});
try {
  const inherited = process.env['NODE_OPTIONS'];
  process.env['NODE_OPTIONS'] = heapCapOptions(limits.door);
  const door = await dockyard.startAuthServer({}, bundle);
  if (inherited === undefined) delete process.env['NODE_OPTIONS'];
  else process.env['NODE_OPTIONS'] = inherited;
  await confine('door', door.process.pid);
  const push = plan.credentials.push.published;
  const tokenResponse = await fetch(`${door.url}${tokenPath}?service=${tokenService(namespace, name)}&scope=repository:${repository}:pull,push`, {
    headers: { authorization: `Basic ${Buffer.from(`${push.username}:${push.password}`).toString('base64')}` },
  });
  if (tokenResponse.status !== 200) throw new Error(`token request: HTTP ${tokenResponse.status}`);
  const { token } = (await tokenResponse.json()) as { token: string };
  const authorization = { authorization: `Bearer ${token}` };

  const image = buildImage({ layerCount: 1, layerBytes: 1024 * 1024 });
  await new RegistryPusher(door.url, authorization).pushManifest(repository, image, 'v1');
  const layer = image.blobs[1]!;
  const nodeProxy = await startNodeProxy(door.port);
  await confine('nodeProxy', nodeProxy.pid);
  const bases: Record<Target, string> = { direct: dockyard.registry.url, door: door.url, 'node proxy': `http://127.0.0.1:${nodeProxy.port}` };
  const dispatcher = new Agent({ connections: clients, pipelining: 1 });

  const operations: Record<Operation, (base: string) => Promise<boolean>> = {
    'manifest GET': async (base) => {
      const response = await undiciFetch(`${base}/v2/${repository}/manifests/v1`, { headers: { ...authorization, accept: manifestAccept }, dispatcher });
      await response.arrayBuffer();
      return response.status === 200;
    },
    'blob GET (1 MiB)': async (base) => {
      const response = await undiciFetch(`${base}/v2/${repository}/blobs/${layer.digest}`, { headers: authorization, dispatcher });
      const bytes = await response.arrayBuffer();
      return response.status === 200 && bytes.byteLength === layer.bytes.length;
    },
    'blob push (256 KiB)': async (base) => {
      const bytes = randomBytes(256 * 1024);
      const start = await undiciFetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: authorization, dispatcher });
      await start.arrayBuffer();
      const location = start.headers.get('location');
      if (start.status !== 202 || location === null) return false;
      const url = new URL(location, base);
      url.searchParams.set('digest', digestOf(bytes));
      const put = await undiciFetch(url, {
        method: 'PUT',
        headers: { ...authorization, 'content-type': 'application/octet-stream' },
        body: bytes,
        dispatcher,
      });
      await put.arrayBuffer();
      return put.status === 201;
    },
  };

  /** `clients` loops issuing `operation` against `base` until the phase's time is up. */
  async function phase(operation: Operation, base: string): Promise<Samples> {
    const latenciesMs: number[] = [];
    let errors = 0;
    const started = performance.now();
    const deadline = started + phaseSeconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < deadline) {
          const at = performance.now();
          const ok = await operations[operation](base).catch(() => false);
          latenciesMs.push(performance.now() - at);
          if (!ok) errors += 1;
        }
      }),
    );
    return { latenciesMs, errors, seconds: (performance.now() - started) / 1000 };
  }

  const results = new Map<string, Samples>();
  for (const operation of Object.keys(operations) as Operation[]) {
    // Warm-up: connections opened, caches filled, JIT done, for both targets alike.
    for (const target of targets) await Promise.all(Array.from({ length: clients }, () => operations[operation](bases[target])));
    for (let round = 0; round < rounds; round += 1) {
      // Each round starts with the next target, so none always runs first or last.
      const order = targets.map((_, index) => targets[(index + round) % targets.length]!);
      for (const target of order) {
        const samples = await phase(operation, bases[target]);
        const key = `${operation}|${target}`;
        const sofar = results.get(key) ?? { latenciesMs: [], errors: 0, seconds: 0 };
        results.set(key, {
          latenciesMs: sofar.latenciesMs.concat(samples.latenciesMs),
          errors: sofar.errors + samples.errors,
          seconds: sofar.seconds + samples.seconds,
        });
      }
    }
  }
  await dispatcher.close();

  const percentile = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  };
  console.log(`${clients} parallel clients, ${rounds} rounds of ${phaseSeconds}s per target and operation, loopback, distribution 3.0.0 (filesystem storage)`);
  console.log('operation             target      requests   req/s    p50 ms   p99 ms  errors');
  for (const operation of Object.keys(operations) as Operation[]) {
    const figures = targets.map((target) => {
      const samples = results.get(`${operation}|${target}`)!;
      const p50 = percentile(samples.latenciesMs, 50);
      const p99 = percentile(samples.latenciesMs, 99);
      console.log(
        `${operation.padEnd(21)} ${target.padEnd(10)} ${String(samples.latenciesMs.length).padStart(9)} ${(samples.latenciesMs.length / samples.seconds).toFixed(0).padStart(7)} ${p50.toFixed(2).padStart(8)} ${p99.toFixed(2).padStart(8)} ${String(samples.errors).padStart(7)}`,
      );
      return { p50, p99 };
    });
    const [direct, viaDoor, viaProxy] = figures as [{ p50: number; p99: number }, { p50: number; p99: number }, { p50: number; p99: number }];
    console.log(`${''.padEnd(21)} ratio      door/direct: p50 ${(viaDoor.p50 / direct.p50).toFixed(2)}x, p99 ${(viaDoor.p99 / direct.p99).toFixed(2)}x`);
    console.log(
      `${''.padEnd(21)} ratio      node proxy/door: p50 ${(viaProxy.p50 / viaDoor.p50).toFixed(2)}x, p99 ${(viaProxy.p99 / viaDoor.p99).toFixed(2)}x`,
    );
  }
  const rss = (pid: number | undefined) =>
    pid === undefined ? 'n/a' : `${procMemoryMiB(pid, 'VmRSS').toFixed(0)} MiB now, ${procMemoryMiB(pid, 'VmHWM').toFixed(0)} MiB peak`;
  console.log(`RSS: auth server (bundle) ${rss(door.process.pid)}; node proxy (bundle) ${rss(nodeProxy.pid)}; distribution ${rss(dockyard.registry.pid)}`);
  for (const [which, cgroup] of Object.entries(cgroups)) {
    console.log(
      `${which}: memory limit ${limits[which as keyof typeof limits]} MiB, heap cap ${heapCapOptions(limits[which as keyof typeof limits])}, times at the limit: ${await cgroup.limitHits()}`,
    );
  }
} finally {
  await stopNodeProxy?.();
  await dockyard.stop();
  for (const cgroup of Object.values(cgroups)) await cgroup.remove();
}

/** `dockyard node-proxy` from the bundle, forwarding a free loopback port to the door, as the DaemonSet forwards the node's port to the Service. */
async function startNodeProxy(doorPort: number): Promise<{ port: number; pid: number | undefined }> {
  const [port] = await freeLoopbackPorts(1);
  const child = spawn(process.execPath, [bundle, 'node-proxy', '--listen', `127.0.0.1:${port}`, '--upstream', `127.0.0.1:${doorPort}`, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: heapCapOptions(limits.nodeProxy) },
  });
  stopNodeProxy = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  await eventually(
    () =>
      child.exitCode !== null
        ? Promise.reject(new Error(`the node proxy exited with ${child.exitCode}`))
        : new Promise<boolean>((resolve) => {
            const socket = connect(port!, '127.0.0.1', () => {
              socket.destroy();
              resolve(true);
            });
            socket.on('error', () => resolve(false));
          }),
    { what: `the node proxy to listen on 127.0.0.1:${port}`, timeoutMs: 20_000, intervalMs: 100 },
  );
  return { port: port!, pid: child.pid };
}
