import type { Evaluation, ManifestDecision, RepositoryDecisions } from './decisions.ts';
import { describeReason, formatTime, shortDigest } from './reasons.ts';

// `dockyard retention plan` for people: per repository, one row per manifest (newest first),
// its tags, what happens to it, and every reason, one per line.

export interface PlanTableOptions {
  /** Leave out kept manifests (the summary still counts them). */
  readonly deletionsOnly?: boolean;
  /** Tags shown per row before `(+N more)`. */
  readonly tagsPerRow?: number;
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function newestFirst(a: ManifestDecision, b: ManifestDecision): number {
  if (a.pushedAt !== b.pushedAt) return (b.pushedAt ?? Number.NEGATIVE_INFINITY) - (a.pushedAt ?? Number.NEGATIVE_INFINITY);
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

function tagsCell(manifest: ManifestDecision, tagsPerRow: number): string {
  if (manifest.tags.length === 0) return manifest.untagged ? '(untagged)' : '-';
  const shown = manifest.tags.slice(0, tagsPerRow).join(', ');
  return manifest.tags.length > tagsPerRow ? `${shown} (+${manifest.tags.length - tagsPerRow} more)` : shown;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

function repositoryHeading(repository: RepositoryDecisions): string {
  const { counts } = repository;
  const bytes = counts.deletedBytes > 0 ? `, ${formatBytes(counts.deletedBytes)} at most${counts.deletedWithoutSize > 0 ? ' (some sizes unknown)' : ''}` : '';
  const protectedPart = counts.protected > 0 ? `, ${counts.protected} protected` : '';
  return `${repository.name}: ${counts.deleted} to delete (${counts.tagsDeleted} tags${bytes}), ${counts.kept} of ${counts.evaluated} kept${protectedPart}`;
}

/** The plan as text, repositories in name order; a pure function of the evaluation. */
export function renderPlanTable(evaluation: Evaluation, options: PlanTableOptions = {}): string {
  const tagsPerRow = options.tagsPerRow ?? 3;
  const lines: string[] = [];
  let protectedShown = false;
  for (const repository of evaluation.repositories) {
    lines.push(repositoryHeading(repository));
    const shown = repository.manifests.filter((manifest) => !options.deletionsOnly || manifest.action === 'Delete');
    if (shown.length === 0) {
      lines.push('');
      continue;
    }
    const rows: string[][] = [['  ACTION', 'TAGS', 'DIGEST', 'PUSHED', 'SIZE', 'WHY']];
    for (const manifest of [...shown].sort(newestFirst)) {
      const reasons = manifest.reasons.map(describeReason);
      protectedShown ||= manifest.protected;
      const action = manifest.protected ? 'Keep*' : manifest.action;
      rows.push([
        `  ${action}`,
        tagsCell(manifest, tagsPerRow),
        shortDigest(manifest.digest),
        manifest.pushedAt === undefined ? '-' : formatTime(manifest.pushedAt),
        manifest.size === undefined ? '-' : formatBytes(manifest.size),
        reasons[0] ?? '',
      ]);
      for (const reason of reasons.slice(1)) rows.push(['', '', '', '', '', reason]);
    }
    lines.push(...table(rows), '');
  }
  const { counts } = evaluation;
  if (protectedShown) {
    lines.push('Keep* = kept only because it is in use or under the floor (protected).');
  }
  for (const reference of evaluation.unparseableReferences) {
    lines.push(`Warning: ${reference.usedBy} uses the unparseable image reference ${JSON.stringify(reference.reference)}; it counts as in use.`);
  }
  const bytes = counts.deletedBytes > 0 ? `, ${formatBytes(counts.deletedBytes)} at most` : '';
  lines.push(
    `Total: ${counts.deleted} manifests (${counts.tagsDeleted} tags${bytes}) to delete in ${counts.repositories} repositories; ` +
      `${counts.kept} of ${counts.evaluated} tags and untagged manifests kept, ${counts.protected} protected.`,
  );
  if (evaluation.outcome === 'Aborted') lines.push(`Aborted: ${evaluation.message}.`);
  return `${lines.join('\n')}\n`;
}
