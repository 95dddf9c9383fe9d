import type { CacheGauge, CacheReader } from '../../../runtime/controller.ts';
import type { GaugeSample } from '../../../runtime/metrics.ts';
import type { KubeObject } from '../../../runtime/resource.ts';
import { targets } from '../resources.ts';

/** The fields of status.garbageCollection the gauges read; cached objects are unparsed JSON, so each is checked. */
interface CachedCollection {
  lastRun?: { completionTime?: unknown; outcome?: unknown; blobsDeleted?: unknown; bytesReclaimed?: unknown; writeGateSeconds?: unknown };
  current?: { gateUntil?: unknown };
}

const outcomes = ['Succeeded', 'Failed', 'Aborted', 'Skipped'] as const;

function collectionOf(registry: KubeObject): { enabled: boolean; status: CachedCollection | undefined } {
  const spec = (registry as { spec?: { garbageCollection?: unknown } }).spec;
  const status = (registry as { status?: { garbageCollection?: unknown } }).status?.garbageCollection;
  return {
    enabled: typeof spec?.garbageCollection === 'object' && spec.garbageCollection !== null,
    status: typeof status === 'object' && status !== null ? (status as CachedCollection) : undefined,
  };
}

function identityOf(object: KubeObject): { namespace: string; registry: string } {
  return { namespace: object.metadata?.namespace ?? '', registry: object.metadata?.name ?? '' };
}

/** One sample per Registry with garbage collection configured or on record, from `read`. */
function perRegistry(
  caches: CacheReader,
  read: (collection: CachedCollection | undefined) => Array<{ labels?: Record<string, string>; value: number }>,
): GaugeSample[] {
  const samples: GaugeSample[] = [];
  for (const registry of caches.cache(targets.registries).list()) {
    const { enabled, status } = collectionOf(registry);
    if (!enabled && status === undefined) continue;
    for (const sample of read(status)) samples.push({ labels: { ...identityOf(registry), ...sample.labels }, value: sample.value });
  }
  return samples;
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Garbage collection metrics, read from each Registry's status at scrape time like the other
 * Registry gauges: the status is the record, and a Registry's series go when it goes. Labels are
 * the Registry's namespace and name (and the outcome, one of four values).
 */
export function garbageCollectionGauges(): CacheGauge[] {
  return [
    {
      name: 'dockyard_gc_last_run_timestamp_seconds',
      help: "When the Registry's last garbage collection ended, as Unix time.",
      labelNames: ['namespace', 'registry'],
      samples: (caches) =>
        perRegistry(caches, (status) => {
          const completion = status?.lastRun?.completionTime;
          return typeof completion === 'string' && !Number.isNaN(Date.parse(completion)) ? [{ value: Date.parse(completion) / 1000 }] : [];
        }),
    },
    {
      name: 'dockyard_gc_last_run_outcome',
      help: "The outcome of the Registry's last garbage collection: 1 for the outcome it had (Succeeded, Failed, Aborted, Skipped), 0 for the others.",
      labelNames: ['namespace', 'registry', 'outcome'],
      samples: (caches) =>
        perRegistry(caches, (status) => {
          const outcome = status?.lastRun?.outcome;
          if (typeof outcome !== 'string') return [];
          return outcomes.map((candidate) => ({ labels: { outcome: candidate }, value: candidate === outcome ? 1 : 0 }));
        }),
    },
    {
      name: 'dockyard_gc_blobs_deleted',
      help: "Blobs the Registry's last garbage collection deleted.",
      labelNames: ['namespace', 'registry'],
      samples: (caches) => perRegistry(caches, (status) => (finite(status?.lastRun?.blobsDeleted) ? [{ value: status.lastRun.blobsDeleted }] : [])),
    },
    {
      name: 'dockyard_gc_bytes_reclaimed',
      help: "Bytes the Registry's last garbage collection reclaimed, where it could tell (status.garbageCollection.lastRun.bytesReclaimed).",
      labelNames: ['namespace', 'registry'],
      samples: (caches) => perRegistry(caches, (status) => (finite(status?.lastRun?.bytesReclaimed) ? [{ value: status.lastRun.bytesReclaimed }] : [])),
    },
    {
      name: 'dockyard_gc_write_gate_seconds',
      help: "How long the Registry's last garbage collection refused pushes and deletes.",
      labelNames: ['namespace', 'registry'],
      samples: (caches) => perRegistry(caches, (status) => (finite(status?.lastRun?.writeGateSeconds) ? [{ value: status.lastRun.writeGateSeconds }] : [])),
    },
    {
      name: 'dockyard_gc_write_gate_active',
      help: 'Whether a garbage collection of the Registry holds its write gate now (1: pushes and deletes refused), for every Registry with garbage collection configured.',
      labelNames: ['namespace', 'registry'],
      samples: (caches) => perRegistry(caches, (status) => [{ value: status?.current !== undefined ? 1 : 0 }]),
    },
  ];
}
