// The operator at scale (issue 5): N Registries in N namespaces, each fanning its pull Secret out
// to M labelled namespaces. Measures the time until all are Ready, the operator's write requests
// (attributed by identity through the audit log) against a floor (a plain script that applies
// the same final objects on a fresh control plane), its peak RSS, and its writes when idle.
//   node bench/operator-scale.ts [registries=200] [fanOut=5]
//   (or DOCKYARD_BENCH_REGISTRIES, DOCKYARD_BENCH_FANOUT; DOCKYARD_BENCH_IDLE_SECONDS, default 60;
//   DOCKYARD_BENCH_KEEP=1 keeps each control plane's directory, audit log included, and says where)
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { resources } from '../src/controllers/registry/resources.ts';
import { KubeClient } from '../src/runtime/kube-client.ts';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import type { OperatorProcess } from '../test/support/operator-process.ts';
import { BenchCluster } from './support/bench-cluster.ts';
import { operatorUser, startBenchOperator } from './support/bench-operator.ts';
import { waitConverged } from './support/convergence.ts';
import { applyFloor } from './support/floor-apply.ts';
import { readFinalObjects } from './support/final-objects.ts';
import { mapLimited } from '../src/runtime/map-limited.ts';
import { readHeapFigures } from './support/heap-figures.ts';
import { createMemoryCgroup, shippedOperatorMemoryLimit, type MemoryCgroup } from './support/memory-cgroup.ts';
import { procMemoryMiB } from './support/proc-status.ts';
import { benchRegistry, registryIndexes, type ScaleSize } from './support/scale-objects.ts';
import { formatScaleReport } from './support/scale-report.ts';
import { waitForWriteQuiet } from './support/write-quiet.ts';
import { tallyWrites } from './support/write-tally.ts';

function count(argument: string | undefined, variable: string, fallback: number): number {
  const value = Number(argument ?? process.env[variable] ?? fallback);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${variable}: expected a positive integer, got ${JSON.stringify(argument ?? process.env[variable])}`);
  return value;
}

const size: ScaleSize = {
  registries: count(process.argv[2], 'DOCKYARD_BENCH_REGISTRIES', 200),
  fanOut: count(process.argv[3], 'DOCKYARD_BENCH_FANOUT', 5),
};
const idleMs = count(undefined, 'DOCKYARD_BENCH_IDLE_SECONDS', 60) * 1000;
const floorUser = 'dockyard-floor';
const inFlight = 8;
const keepWorkDirs = process.env['DOCKYARD_BENCH_KEEP'] === '1';
// kwok Nodes hold 110 Pods each; one registry Pod per Registry, with room to spare.
const nodeCount = Math.max(2, Math.ceil((size.registries * 1.2) / 110));
const convergeTimeoutMs = 120_000 + size.registries * 5_000;

const began = Date.now();
const progress = (message: string) => process.stderr.write(`[operator-scale +${((Date.now() - began) / 1000).toFixed(0)}s] ${message}\n`);

function clientFor(kubeconfigPath: string): KubeClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return new KubeClient(kubeConfig);
}

let cluster: BenchCluster | undefined;
let operator: OperatorProcess | undefined;
let memoryCgroup: MemoryCgroup | undefined;
let cleaning: Promise<void> | undefined;
async function stopCluster(): Promise<void> {
  const stopping = cluster;
  cluster = undefined;
  await stopping?.stop({ keepWorkDir: keepWorkDirs }).catch(() => undefined);
  if (stopping !== undefined && keepWorkDirs) progress(`kept ${stopping.plane.workDir} (audit log: ${stopping.plane.auditLogFile})`);
}
const cleanUp = () =>
  (cleaning ??= (async () => {
    await operator?.stop().catch(() => undefined);
    await memoryCgroup?.remove();
    await stopCluster();
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping the operator and the control plane`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  const binDir = await controlPlaneBinDir();
  progress(
    `${size.registries} x ${size.fanOut}: starting a control plane with ${nodeCount} kwok Nodes, creating ${size.registries * (size.fanOut + 1)} namespaces`,
  );
  cluster = await BenchCluster.start({ binDir, size, nodeCount });
  const { plane, admin } = cluster;

  const limit = await shippedOperatorMemoryLimit();
  let memoryLimit: string;
  try {
    memoryCgroup = await createMemoryCgroup(`dockyard-bench-${process.pid}`, limit.bytes);
    memoryLimit = `${limit.text}, the shipped Deployment's limit, in a memory cgroup`;
  } catch (error) {
    memoryLimit = `none (WARNING: figures not comparable: Node sizes its heap for the whole machine): ${error instanceof Error ? error.message : String(error)}`;
  }
  progress(`the operator's memory limit: ${memoryLimit}`);
  const operatorStart = Date.now();
  operator = await startBenchOperator(plane, { readyTimeoutMs: 120_000, cgroupProcs: memoryCgroup?.procsFile });
  const running = operator;
  progress('operator ready; creating the Registries');

  const start = Date.now();
  await mapLimited(registryIndexes(size), inFlight, (i) => admin.create(resources.registries, benchRegistry(i)));
  const created = Date.now();
  const readyAt = await waitConverged(admin, size, {
    timeoutMs: convergeTimeoutMs,
    progress,
    abortIf: () => (running.exited ? `the operator exited\n${running.describe()}` : undefined),
  });
  progress(`all Ready after ${((readyAt - start) / 1000).toFixed(1)} s; waiting for the operator's writes to stop`);
  const settle = await waitForWriteQuiet(plane.auditLogFile, operatorUser, { quietMs: 10_000, timeoutMs: 120_000 });

  const idleStart = Date.now();
  progress(`idle window of ${idleMs / 1000} s`);
  await sleep(idleMs); // the window observed, not a wait for something to happen
  const idleEnd = Date.now();
  const peakRssMiB = procMemoryMiB(running.pid, 'VmHWM');
  const idleRssMiB = procMemoryMiB(running.pid, 'VmRSS');
  const idleHeap = await readHeapFigures(await running.healthUrl());
  const limitHits = (await memoryCgroup?.limitHits()) ?? 0;
  await sleep(1_000); // the audit log is written as each request completes; leave a margin
  const operatorWrites = await tallyWrites(plane.auditLogFile, operatorUser, { from: operatorStart, to: idleStart });
  const afterReady = (await tallyWrites(plane.auditLogFile, operatorUser, { from: readyAt, to: idleStart })).total;
  const idle = await tallyWrites(plane.auditLogFile, operatorUser, { from: idleStart, to: idleEnd });
  const final = await readFinalObjects(admin);

  progress(`read ${final.registries.length} Registries and ${final.children.length} children; the floor applies them on a fresh control plane`);
  await operator.stop();
  operator = undefined;
  await stopCluster();
  cluster = await BenchCluster.start({ binDir, size, nodeCount });
  const floorPlane = cluster.plane;
  const floorClient = clientFor(await floorPlane.kubeconfigFor(floorUser, ['system:masters']));
  const floorWindow = await applyFloor(floorClient, final, { fieldManager: floorUser, inFlight });
  await sleep(1_000);
  const floor = await tallyWrites(floorPlane.auditLogFile, floorUser, { from: floorWindow.from, to: floorWindow.to + 1_000 });

  console.log(
    formatScaleReport({
      size,
      readySeconds: (readyAt - start) / 1000,
      createSeconds: (created - start) / 1000,
      operator: operatorWrites,
      afterReady,
      settleSeconds: settle.waitedMs / 1000,
      floor,
      floorSeconds: (floorWindow.to - floorWindow.from) / 1000,
      peakRssMiB,
      memoryLimit,
      limitHits,
      idleRssMiB,
      idleHeap,
      idleStartedAt: idleStart,
      idleSeconds: (idleEnd - idleStart) / 1000,
      idle,
    }),
  );
} catch (error) {
  process.stderr.write(`operator-scale failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
