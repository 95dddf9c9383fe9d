import { describeRequest } from '../../test/support/audit-log.ts';
import type { HeapFigures } from './heap-figures.ts';
import type { ScaleSize } from './scale-objects.ts';
import type { WriteTally } from './write-tally.ts';

/** The figures of one operator-scale run. */
export interface ScaleFigures {
  size: ScaleSize;
  /** From the first Registry created to every Registry Ready with every pull Secret copy. */
  readySeconds: number;
  /** Creating the Registries alone (part of readySeconds). */
  createSeconds: number;
  /** The operator's writes from its start to the idle window. */
  operator: WriteTally;
  /** Of those, the writes sent after every Registry was seen Ready, while waiting for quiet. */
  afterReady: number;
  settleSeconds: number;
  floor: WriteTally;
  floorSeconds: number;
  peakRssMiB: number;
  /** The limit the operator ran under, in words. */
  memoryLimit: string;
  /** How often the cgroup hit that limit (the kernel reclaimed or refused memory). */
  limitHits: number;
  idleRssMiB: number;
  /** The V8 heap when idle: what the RSS holds beyond code and the runtime. */
  idleHeap: HeapFigures;
  idleStartedAt: number;
  idleSeconds: number;
  idle: WriteTally;
}

export const targets = { ratio: 1.5, idleWrites: 0, rssMiB: 150 };

function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'MISS';
}

function perRegistry(count: number, size: ScaleSize): string {
  return (count / size.registries).toFixed(1);
}

function top(entries: [string, number][], limit: number): string {
  return (
    entries
      .slice(0, limit)
      .map(([request, count]) => `${request} ${count}`)
      .join(', ') || 'none'
  );
}

export function formatScaleReport(f: ScaleFigures): string {
  const ratio = f.operator.total / Math.max(1, f.floor.total);
  const ratioWithoutEvents = (f.operator.total - f.operator.events) / Math.max(1, f.floor.total - f.floor.events);
  const lines = [
    `operator-scale: ${f.size.registries} Registries, each fanning its pull Secret out to ${f.size.fanOut} namespaces (${f.size.registries * f.size.fanOut} copies)`,
    `time to all Ready: ${f.readySeconds.toFixed(1)} s (creating the Registries: ${f.createSeconds.toFixed(1)} s)`,
    `operator writes: ${f.operator.total} (${perRegistry(f.operator.total, f.size)} per Registry); Events ${f.operator.events}; ` +
      `not counted: Lease writes ${f.operator.leases}, access reviews ${f.operator.reviews}; failed ${f.operator.failed}; after all Ready ${f.afterReady} (quiet after ${f.settleSeconds.toFixed(0)} s)`,
    `  by request: ${top(f.operator.byRequest, 12)}`,
    `  objects written more than once: ${f.operator.repeated.map((r) => `${r.request} ${r.objects} objects (up to ${r.most}x)`).join(', ') || 'none'}`,
    `floor writes: ${f.floor.total} (${perRegistry(f.floor.total, f.size)} per Registry) in ${f.floorSeconds.toFixed(1)} s; failed ${f.floor.failed}`,
    `  by request: ${top(f.floor.byRequest, 12)}`,
    `ratio operator/floor writes: ${ratio.toFixed(2)} (target <= ${targets.ratio}) ${verdict(ratio <= targets.ratio)}; without Events ${ratioWithoutEvents.toFixed(2)}`,
    `operator peak RSS: ${f.peakRssMiB.toFixed(1)} MiB (target <= ${targets.rssMiB}) ${verdict(f.peakRssMiB <= targets.rssMiB)}; ${f.idleRssMiB.toFixed(1)} MiB when idle ` +
      `(heap ${f.idleHeap.heapUsedMiB.toFixed(1)} MiB used of ${f.idleHeap.heapTotalMiB.toFixed(1)}, external ${f.idleHeap.externalMiB.toFixed(1)} MiB)`,
    `  memory limit: ${f.memoryLimit}; reached ${f.limitHits} times`,
    `idle writes in ${f.idleSeconds.toFixed(0)} s (Lease renewals excluded, ${f.idle.leases}): ${f.idle.total} (target ${targets.idleWrites}) ${verdict(f.idle.total <= targets.idleWrites)}`,
    ...f.idle.requests
      .slice(0, 10)
      .map((event) => `  idle +${((Date.parse(event.requestReceivedTimestamp) - f.idleStartedAt) / 1000).toFixed(1)}s: ${describeRequest(event)}`),
  ];
  return lines.join('\n');
}
