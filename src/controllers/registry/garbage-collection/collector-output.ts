/**
 * What `registry garbage-collect` printed, read back. Its report goes to stdout line by line
 * (registry/storage/garbagecollect.go, 2.8 and 3.x alike) and its summary line is the only
 * statement of the totals: `N blobs marked, M blobs and K manifests eligible for deletion`.
 * `--quiet` suppresses that line too, so the collector never runs with it. Log lines of the
 * registry's own logger (JSON, on stderr, mixed in by `kubectl logs`) are skipped.
 *
 * The manifests eligible for deletion (with --delete-untagged) are printed differently by the
 * two versions: 3.x as `{repository digest [tags]}`, 2.8 as a bare digest after the line that
 * names the repository being marked.
 */
export interface CollectorReport {
  blobsMarked: number;
  blobsEligible: number;
  manifestsEligible: number;
  /** Every blob the collector deletes (or, in a dry run, would delete). */
  eligibleBlobs: string[];
  /** Every manifest it deletes (or would), with its repository where the output says it. */
  eligibleManifests: { repository: string | undefined; digest: string }[];
}

const summaryLine = /^(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion$/;
const blobLine = /^blob eligible for deletion: (sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
const manifestLine3 = /^manifest eligible for deletion: \{(\S+) (sha\d+:[0-9a-f]+) \[[^\]]*\]\}$/;
const manifestLine2 = /^manifest eligible for deletion: (sha\d+:[0-9a-f]+)$/;
// A repository name alone on its line: the collector starting to mark it.
const repositoryLine = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export class CollectorOutputError extends Error {}

/** Reads the collector's output; throws when it holds no summary line (the collector did not finish). */
export function parseCollectorOutput(output: string): CollectorReport {
  let summary: RegExpExecArray | undefined;
  let repository: string | undefined;
  const eligibleBlobs: string[] = [];
  const eligibleManifests: CollectorReport['eligibleManifests'] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const found = summaryLine.exec(line);
    if (found) {
      if (summary !== undefined) throw new CollectorOutputError('the collector output holds two summary lines: two runs in one log?');
      summary = found;
      continue;
    }
    const blob = blobLine.exec(line);
    if (blob) {
      eligibleBlobs.push(blob[1]!);
      continue;
    }
    const manifest3 = manifestLine3.exec(line);
    if (manifest3) {
      eligibleManifests.push({ repository: manifest3[1], digest: manifest3[2]! });
      continue;
    }
    const manifest2 = manifestLine2.exec(line);
    if (manifest2) {
      eligibleManifests.push({ repository, digest: manifest2[1]! });
      continue;
    }
    if (repositoryLine.test(line)) repository = line;
  }
  if (summary === undefined) {
    throw new CollectorOutputError(
      'the collector output has no summary line ("N blobs marked, M blobs and K manifests eligible for deletion"): it did not finish',
    );
  }
  const report: CollectorReport = {
    blobsMarked: Number(summary[1]),
    blobsEligible: Number(summary[2]),
    manifestsEligible: Number(summary[3]),
    eligibleBlobs,
    eligibleManifests,
  };
  if (report.eligibleBlobs.length !== report.blobsEligible) {
    throw new CollectorOutputError(
      `the collector output lists ${report.eligibleBlobs.length} blobs eligible for deletion but its summary says ${report.blobsEligible}: the log is incomplete`,
    );
  }
  return report;
}
