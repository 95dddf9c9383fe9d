/** Where an operator's resident memory goes, read from its prom-client process metrics. */
export interface HeapFigures {
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

const mebibyte = 1024 * 1024;

/** Reads the operator's /metrics (prom-client's default Node.js metrics) at `baseUrl`. */
export async function readHeapFigures(baseUrl: string): Promise<HeapFigures> {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const gauge = (name: string): number => {
    const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    if (value === undefined) throw new Error(`the operator's /metrics has no ${name}`);
    return Number(value) / mebibyte;
  };
  return {
    heapUsedMiB: gauge('nodejs_heap_size_used_bytes'),
    heapTotalMiB: gauge('nodejs_heap_size_total_bytes'),
    externalMiB: gauge('nodejs_external_memory_bytes'),
  };
}
