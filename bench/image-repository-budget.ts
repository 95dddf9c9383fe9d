// The ImageRepository controller's request budget (issue 14): N ImageRepositories on one external
// Registry whose URL is a counting proxy on loopback in front of a real distribution 3.0.0. Counts
// every request the registry receives over a window and checks that no interval of t seconds saw
// more than the budget allows (burst + rate x t: 10 + 5 t), and says how far the pass got.
//   node bench/image-repository-budget.ts [imageRepositories=5000] [windowSeconds=180]
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { registryBudget } from '../src/controllers/image-repository/rate-limiter.ts';
import { KubeClient } from '../src/runtime/kube-client.ts';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import { LocalControlPlane } from '../test/cluster/control-plane.ts';
import { installDockyardCrds } from '../test/support/crds.ts';
import type { OperatorProcess } from '../test/support/operator-process.ts';
import { buildImage } from '../test/registry/images.ts';
import { LocalRegistry } from '../test/registry/local-registry.ts';
import { RegistryPusher } from '../test/registry/push.ts';
import { startBenchOperator } from './support/bench-operator.ts';
import { mapLimited } from '../src/runtime/map-limited.ts';
import { procMemoryMiB } from './support/proc-status.ts';

const count = Number(process.argv[2] ?? process.env['DOCKYARD_BENCH_IMAGE_REPOSITORIES'] ?? 5000);
const windowSeconds = Number(process.argv[3] ?? process.env['DOCKYARD_BENCH_WINDOW_SECONDS'] ?? 180);
const repositories = 100;
const namespace = 'bench';
const imageRepositories = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'ImageRepository', plural: 'imagerepositories', namespaced: true } as const;
const registries = { group: 'dockyard.dev', version: 'v1alpha1', kind: 'Registry', plural: 'registries', namespaced: true } as const;

const began = Date.now();
const progress = (message: string) => process.stderr.write(`[image-repository-budget +${((Date.now() - began) / 1000).toFixed(0)}s] ${message}\n`);

/** A loopback proxy that forwards to `target` and notes when each request arrived. */
async function countingProxy(target: URL): Promise<{ url: string; arrivals: Array<{ at: number; probe: boolean }>; close: () => Promise<void> }> {
  const arrivals: Array<{ at: number; probe: boolean }> = [];
  const server = createServer((incoming, outgoing) => {
    // GET /v2/ is the Registry controller's probe of the Registry, not the ImageRepositories' reads.
    arrivals.push({ at: Date.now(), probe: incoming.url === '/v2/' });
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: target.host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, arrivals, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The most requests in any interval of `seconds` (sliding over arrivals). */
function busiest(arrivals: readonly number[], seconds: number): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < arrivals.length; end++) {
    while ((arrivals[end] as number) - (arrivals[start] as number) >= seconds * 1000) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

let plane: LocalControlPlane | undefined;
let operator: OperatorProcess | undefined;
let registry: LocalRegistry | undefined;
let proxy: Awaited<ReturnType<typeof countingProxy>> | undefined;
try {
  const binDir = await controlPlaneBinDir();
  registry = await LocalRegistry.start({ flavor: 'distribution-3', binDir });
  const pusher = new RegistryPusher(registry.url);
  // Half the repositories hold two tags each; the other half were never pushed (NotFound).
  for (let i = 0; i < repositories / 2; i++) {
    await pusher.pushManifest(`apps/r${i}`, buildImage(), 'v1');
    await pusher.pushManifest(`apps/r${i}`, buildImage(), 'v2');
  }
  proxy = await countingProxy(new URL(registry.url));
  plane = await LocalControlPlane.start({ binDir });
  await installDockyardCrds(plane.kubeConfig(), 'dockyard-bench');
  operator = await startBenchOperator(plane, { readyTimeoutMs: 120_000 });
  const admin = new KubeClient(plane.kubeConfig());
  await admin.create(
    { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  );
  await admin.create(registries, {
    apiVersion: 'dockyard.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: 'shared', namespace },
    spec: { external: { url: proxy.url } },
  });
  const before = proxy.arrivals.length;
  progress(`creating ${count} ImageRepositories on one Registry (${repositories} repositories, half never pushed)`);
  const windowStart = Date.now();
  await mapLimited(
    Array.from({ length: count }, (_, i) => i),
    16,
    (i) =>
      admin.create(imageRepositories, {
        apiVersion: 'dockyard.dev/v1alpha1',
        kind: 'ImageRepository',
        metadata: { name: `repo-${i}`, namespace },
        spec: { registryRef: { name: 'shared' }, repository: `apps/r${i % repositories}` },
      }),
  );
  const created = Date.now();
  progress(`created in ${((created - windowStart) / 1000).toFixed(1)} s; observing the registry for ${windowSeconds} s from the first create`);
  await sleep(Math.max(0, windowStart + windowSeconds * 1000 - Date.now())); // the window observed
  const inWindow = proxy.arrivals.slice(before).filter(({ at }) => at >= windowStart && at < windowStart + windowSeconds * 1000);
  const arrivals = inWindow.filter((arrival) => !arrival.probe).map(({ at }) => at);
  const probes = inWindow.length - arrivals.length;
  const list = await admin.list<{ status?: { conditions?: Array<{ type: string; reason: string }> } }>(imageRepositories, { namespace });
  const withStatus = list.items.filter((item) => item.status?.conditions !== undefined).length;
  const rate = registryBudget.requestsPerSecond;
  const burst = registryBudget.burst;
  const rows = [1, 10, 60, windowSeconds].map((seconds) => {
    const most = busiest(arrivals, seconds);
    const allowed = burst + rate * seconds;
    return { seconds, most, allowed, within: most <= allowed };
  });
  console.log(`ImageRepositories: ${count} on one registry (${repositories} repositories); window ${windowSeconds} s from the first create`);
  console.log(`budget: ${rate} requests/s, burst ${burst} (any t seconds: at most ${burst} + ${rate} t)`);
  console.log(
    `registry requests in the window: ${arrivals.length} from the ImageRepository controller (${(arrivals.length / windowSeconds).toFixed(2)}/s on average), ${probes} probes (GET /v2/) from the Registry controller`,
  );
  for (const row of rows)
    console.log(`  busiest ${row.seconds} s: ${row.most} requests (allowed ${row.allowed}) ${row.within ? 'within budget' : 'OVER BUDGET'}`);
  console.log(`ImageRepositories with a status at the end of the window: ${withStatus} of ${count}`);
  console.log(`created the objects in ${((created - windowStart) / 1000).toFixed(1)} s; operator peak RSS ${procMemoryMiB(operator.pid, 'VmHWM')} MiB`);
  if (rows.some((row) => !row.within)) process.exitCode = 1;
} catch (error) {
  process.stderr.write(`image-repository-budget failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await operator?.stop().catch(() => undefined);
  await plane?.stop().catch(() => undefined);
  await proxy?.close().catch(() => undefined);
  await registry?.stop().catch(() => undefined);
}
