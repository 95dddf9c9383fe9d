// How long the local control plane takes to become usable (binaries cached), and what it holds in
// memory once idle: the fixed cost every integration run and `make dev` pays.
//   node bench/control-plane-startup.ts [runs]
import { setTimeout as sleep } from 'node:timers/promises';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import { LocalControlPlane } from '../test/cluster/control-plane.ts';
import { procMemoryMiB } from './support/proc-status.ts';

const runs = Number(process.argv[2] ?? 3);
const binDir = await controlPlaneBinDir();
const quiet = () => undefined;

const startups: number[] = [];
let footprint: Record<string, number> = {};
for (let run = 0; run < runs; run++) {
  const plane = await LocalControlPlane.start({ binDir, log: quiet });
  startups.push(plane.startupSeconds);
  if (run === runs - 1) {
    await sleep(10_000); // let caches and informers settle before reading memory
    footprint = Object.fromEntries(plane.componentPids().map(([name, pid]) => [name, procMemoryMiB(pid, 'VmRSS')]));
  }
  await plane.stop();
}

startups.sort((a, b) => a - b);
const median = startups[Math.floor(startups.length / 2)]!;
console.log(`control plane start-up over ${runs} runs: min ${startups[0]!.toFixed(1)}s, median ${median.toFixed(1)}s, max ${startups.at(-1)!.toFixed(1)}s`);
const total = Object.values(footprint).reduce((sum, mib) => sum + mib, 0);
console.log(
  `idle RSS: ${Object.entries(footprint)
    .map(([name, mib]) => `${name} ${mib.toFixed(0)} MiB`)
    .join(', ')}; total ${total.toFixed(0)} MiB`,
);
