import type { RegistryClient } from '../../../oci/client.ts';
import type { Manifest } from '../../../oci/manifest.ts';
import type { CollectorReport } from './collector-output.ts';

/**
 * Dockyard's own mark, through the registry API, to check the collector's against: every tag of
 * every repository, each manifest it reaches (index children and referrers, recursively), and
 * every blob those name. Read while the write gate holds, so nothing changes under it; read again
 * after the collection to prove every tag still resolves with all its blobs.
 */
export interface IndependentMark {
  /** `repository:tag` -> the digest it points at. */
  tags: Map<string, string>;
  /** Every digest a tag reaches (manifests and blobs), with one repository that serves it. */
  referenced: Map<string, { repository: string; kind: 'manifest' | 'blob' }>;
}

export async function markThroughApi(client: RegistryClient): Promise<IndependentMark> {
  const mark: IndependentMark = { tags: new Map(), referenced: new Map() };
  const repositories: string[] = [];
  for await (const page of client.repositories()) repositories.push(...page);
  for (const repository of repositories) {
    const tags = await client.allTags(repository);
    const tagSet = new Set(tags);
    const visit = async (manifest: Manifest): Promise<void> => {
      if (mark.referenced.has(manifest.digest) && mark.referenced.get(manifest.digest)?.repository === repository) return;
      mark.referenced.set(manifest.digest, { repository, kind: 'manifest' });
      const { content } = manifest;
      for (const blob of [content.config, ...(content.layers ?? [])]) {
        if (blob !== undefined && !mark.referenced.has(blob.digest)) mark.referenced.set(blob.digest, { repository, kind: 'blob' });
      }
      for (const child of content.manifests ?? []) await visit(await client.getManifest(repository, child.digest));
      const { referrers } = await client.referrers(repository, manifest.digest, { tags: tagSet });
      for (const referrer of referrers) await visit(await client.getManifest(repository, referrer.digest));
    };
    for (const tag of tags) {
      const manifest = await client.getManifest(repository, tag);
      mark.tags.set(`${repository}:${tag}`, manifest.digest);
      await visit(manifest);
    }
  }
  return mark;
}

/** The digests the collector would delete that a tag reaches: any is a reason to abort before deleting. */
export function crossCheck(dryRun: CollectorReport, mark: IndependentMark): string[] {
  const eligible = [...dryRun.eligibleBlobs, ...dryRun.eligibleManifests.map((manifest) => manifest.digest)];
  return [...new Set(eligible.filter((digest) => mark.referenced.has(digest)))].sort();
}

/**
 * What no longer resolves after the collection: each tag that existed before must point at the
 * same manifest, and every manifest and blob the mark found must still be served. Returns
 * `repository:tag` or `repository@digest` for each failure.
 */
export async function verifyAfterCollection(client: RegistryClient, before: IndependentMark): Promise<string[]> {
  // All at once: the client bounds the requests in flight (maxConcurrency); one at a time, the
  // blob checks were most of the write gate at 10,000 blobs (bench/gc.ts).
  const tagChecks = [...before.tags].map(async ([reference, digest]) => {
    const colon = reference.lastIndexOf(':');
    try {
      const head = await client.headManifest(reference.slice(0, colon), reference.slice(colon + 1));
      return head.digest === digest ? undefined : `${reference} (now ${head.digest}, was ${digest})`;
    } catch {
      return reference;
    }
  });
  const contentChecks = [...before.referenced].map(async ([digest, { repository, kind }]) => {
    try {
      const present =
        kind === 'manifest' ? await client.headManifest(repository, digest).then(() => true) : (await client.headBlob(repository, digest)) !== 'absent';
      return present ? undefined : `${repository}@${digest}`;
    } catch {
      return `${repository}@${digest}`;
    }
  });
  return (await Promise.all([...tagChecks, ...contentChecks])).filter((failure): failure is string => failure !== undefined);
}
