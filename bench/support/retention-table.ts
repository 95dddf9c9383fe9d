import type { RequestCategory, RequestCounts } from './access-log.ts';
import type { RetentionShape } from './retention-fill.ts';

export interface ContenderResult {
  flavor: string;
  contender: string;
  wallMs: number;
  peakRssMiB: number;
  requests: RequestCounts;
  /** Manifests the run had to delete (the same for every contender). */
  deletions: number;
  /** The 1, 5 and 15 minute load averages before / after the run (the cores are shared). */
  load?: string;
  /** On a Dockyard-run registry: the door's peak resident memory (a server of the registry, not of the contender). */
  doorPeakRssMiB?: number | undefined;
  /** On a Dockyard-run registry: requests the door answered itself (tokens, push records), which never reach the registry. */
  doorOnlyRequests?: number | undefined;
  /** CPU seconds the run cost the contender's process tree, distribution and (on a Dockyard-run registry) the door. */
  cpuSeconds?: { contender: number; registry: number; door?: number };
}

const short: Record<RequestCategory, string> = {
  ping: 'ping',
  catalog: 'catalog',
  tags: 'tags',
  'manifest HEAD': 'HEAD',
  'manifest GET': 'GET',
  'manifest PUT': 'PUT',
  'manifest DELETE': 'DELETE',
  'blob GET': 'config',
  'blob HEAD': 'blobHEAD',
  'blob upload': 'upload',
  referrers: 'referrers',
  other: 'other',
};

function breakdown(requests: RequestCounts): string {
  return (Object.keys(short) as RequestCategory[])
    .filter((category) => (requests[category] ?? 0) > 0)
    .map((category) => `${short[category]} ${requests[category]}`)
    .join(', ');
}

/**
 * The table: per registry, each contender's wall time, requests counted at the registry (per
 * deleted manifest, by kind), peak RSS, and ratios to the floors; then Dockyard against the
 * issue's targets. "config" is an image config read, what ranks by push time on a registry
 * without push records: `floor` is told the push order and reads none, `floor-created` reads
 * them as Dockyard (and regbot) must here, so it is the like-for-like floor for these registries.
 * `dockyard-door` (on a registry Dockyard runs, with push records) is held to the issue's floor,
 * `floor`, direct to a plain registry; `floor-door`, the floor through the door, shows how much
 * of the difference is the door's. Requests are counted at distribution for every contender;
 * "+ door only" are those the door answers itself (token and push-record requests), as the
 * contender counted them. CPU seconds, unlike wall time, hardly change with what else shares the
 * cores: on a loaded machine they say more about the cost than the wall times do.
 */
export function formatRetentionTable(results: readonly ContenderResult[], shape: RetentionShape, concurrency: number): string {
  const lines = [
    `Retention: ${shape.repositories} repositories x ${shape.tagsPerRepository} tags, keep the ${shape.keep} most recently pushed, ${concurrency} requests in flight, filesystem storage (tmpfs)`,
  ];
  const header = [
    'registry',
    'contender',
    'wall',
    'x floor',
    'x floor-created',
    'requests',
    '+ door only',
    'per delete',
    'x floor',
    'x floor-created',
    'CPU s: contender / registry / door',
    'peak RSS',
    'load 1/5/15 before / after',
    'requests by kind',
  ];
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const ratio = (value: number, of: number | undefined) => (of === undefined ? '-' : `${(value / of).toFixed(2)}x`);
  for (const flavor of [...new Set(results.map((result) => result.flavor))]) {
    const ofFlavor = results.filter((result) => result.flavor === flavor);
    const floor = ofFlavor.find((result) => result.contender === 'floor');
    const floorCreated = ofFlavor.find((result) => result.contender === 'floor-created');
    for (const result of ofFlavor) {
      rows.push([
        flavor,
        result.contender,
        `${(result.wallMs / 1000).toFixed(1)} s`,
        ratio(result.wallMs, floor?.wallMs),
        ratio(result.wallMs, floorCreated?.wallMs),
        String(result.requests.total),
        result.doorOnlyRequests === undefined ? '-' : String(result.doorOnlyRequests),
        (result.requests.total / result.deletions).toFixed(2),
        ratio(result.requests.total, floor?.requests.total),
        ratio(result.requests.total, floorCreated?.requests.total),
        result.cpuSeconds === undefined
          ? '-'
          : [result.cpuSeconds.contender, result.cpuSeconds.registry, result.cpuSeconds.door]
              .map((seconds) => (seconds === undefined ? '-' : seconds.toFixed(1)))
              .join(' / '),
        `${result.peakRssMiB.toFixed(0)} MiB${result.doorPeakRssMiB !== undefined ? ` (door ${result.doorPeakRssMiB.toFixed(0)} MiB)` : ''}`,
        result.load ?? '-',
        breakdown(result.requests),
      ]);
    }
    const peers = ofFlavor.filter((result) => !result.contender.startsWith('dockyard') && !result.contender.startsWith('floor'));
    for (const dockyard of ofFlavor.filter((result) => result.contender.startsWith('dockyard'))) {
      const against = (base: ContenderResult | undefined) => {
        if (base === undefined) return;
        const time = dockyard.wallMs / base.wallMs;
        const requests = dockyard.requests.total / base.requests.total;
        verdicts.push(
          `${flavor}: ${dockyard.contender} vs ${base.contender}: time ${time.toFixed(2)}x (target <= 1.2: ${time <= 1.2 ? 'met' : 'MISSED'}), ` +
            `requests ${requests.toFixed(2)}x (target <= 1.05: ${requests <= 1.05 ? 'met' : 'MISSED'})`,
        );
      };
      if (dockyard.contender === 'dockyard') against(floorCreated);
      against(floor);
      if (dockyard.contender === 'dockyard-door') against(ofFlavor.find((result) => result.contender === 'floor-door'));
      const configReads = dockyard.requests['blob GET'] ?? 0;
      if (floor !== undefined && configReads > 0) {
        const withoutConfig = (dockyard.requests.total - configReads) / floor.requests.total;
        verdicts.push(`${flavor}: ${dockyard.contender} vs floor without its ${configReads} config reads: requests ${withoutConfig.toFixed(2)}x`);
      }
      const slowerThan = peers.filter((peer) => peer.wallMs <= dockyard.wallMs).map((peer) => peer.contender);
      if (peers.length > 0)
        verdicts.push(`${flavor}: ${dockyard.contender} faster than every peer: ${slowerThan.length === 0 ? 'yes' : `NO (${slowerThan.join(', ')})`}`);
    }
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) =>
    row.map((cell, column) => (column < 2 || column === row.length - 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  lines.push(format(header), ...rows.map(format), ...verdicts);
  return lines.join('\n');
}
