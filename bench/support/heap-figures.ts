import { metricValue } from '../../test/support/metrics.ts';

/** Where an operator's resident memory goes, read from its prom-client process metrics. */
export interface HeapFigures {
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

const mebibyte = 1024 * 1024;

/** Reads the operator's /metrics (prom-client's default Node.js metrics) at `baseUrl`. */
export async function readHeapFigures(baseUrl: string): Promise<HeapFigures> {
  // None of these is ever 0 in a live process: 0 means the gauge is missing.
  const gauge = async (name: string): Promise<number> => {
    const value = await metricValue(baseUrl, name);
    if (value === 0) throw new Error(`the operator's /metrics has no ${name}`);
    return value / mebibyte;
  };
  return {
    heapUsedMiB: await gauge('nodejs_heap_size_used_bytes'),
    heapTotalMiB: await gauge('nodejs_heap_size_total_bytes'),
    externalMiB: await gauge('nodejs_external_memory_bytes'),
  };
}
