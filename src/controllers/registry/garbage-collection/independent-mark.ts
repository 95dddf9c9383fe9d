import type { RegistryClient } from '../../../oci/client.ts';
import type { Manifest } from '../../../oci/manifest.ts';
import { mapLimited } from '../../../runtime/map-limited.ts';
import type { CollectorReport } from './collector-output.ts';

/**
 * Dockyard's own mark, through the registry API, to check the collector's against: every tag of
 * every repository, each manifest it reaches (index children and referrers, recursively), and
 * every blob those name. Read while the write gate holds, so nothing changes under it; read again
 * after the collection to prove every tag still resolves with all its blobs.
 */
export interface IndependentMark {
  /** `repository:tag` -> the digest it points at, in catalog order, then each repository's tag order. */
  tags: Map<string, string>;
  /**
   * Every digest a tag reaches (manifests and blobs), with the first repository in catalog order
   * that reaches it (so the mark does not depend on which read answered first), in that order.
   */
  referenced: Map<string, { repository: string; kind: 'manifest' | 'blob' }>;
}

/** What the mark reads: a RegistryClient answers all of it. */
export type MarkReader = Pick<RegistryClient, 'repositories' | 'allTags' | 'getManifest' | 'referrers'>;
/** What the verification asks. */
export type VerifyReader = Pick<RegistryClient, 'headManifest' | 'headBlob'>;

export interface MarkConcurrency {
  /** Repositories marked side by side. */
  repositories: number;
  /** Tags walked at a time in each repository (each walk reads its manifest, children and referrers one after another). */
  tagsPerRepository: number;
}

/**
 * Like the retention reader (retention/runner/read-registry.ts): up to 4 x 16 walks, each with
 * one request at a time, keep the client's connections (8 by default) busy while a repository's
 * tag list is read, and queue few enough requests that waiting ones do not fill memory. One at a
 * time, the mark was most of the write gate at 10,000 blobs (bench/gc.ts).
 */
export const defaultMarkConcurrency: MarkConcurrency = { repositories: 4, tagsPerRepository: 16 };

/** HEADs in flight or queued in the client at once while verifying: a few per connection, not one per blob. */
export const defaultVerifyConcurrency = 32;

export async function markThroughApi(client: RegistryClient): Promise<IndependentMark> {
  return markRegistry(client);
}

/** The mark, with its concurrency chosen: the result is the same whatever the concurrency and the order answers arrive in. */
export async function markRegistry(reader: MarkReader, concurrency: MarkConcurrency = defaultMarkConcurrency): Promise<IndependentMark> {
  const repositories: string[] = [];
  for await (const page of reader.repositories()) repositories.push(...page);
  const marks = await mapLimited(repositories, concurrency.repositories, (repository) => markRepository(reader, repository, concurrency.tagsPerRepository));
  // Merged in catalog order, each repository's digests sorted: the same map, in the same order,
  // however the reads interleaved.
  const mark: IndependentMark = { tags: new Map(), referenced: new Map() };
  repositories.forEach((repository, index) => {
    const { tags, reached } = marks[index]!;
    for (const [tag, digest] of tags) mark.tags.set(`${repository}:${tag}`, digest);
    for (const digest of [...reached.keys()].sort()) {
      if (!mark.referenced.has(digest)) mark.referenced.set(digest, { repository, kind: reached.get(digest)! });
    }
  });
  return mark;
}

interface RepositoryMark {
  /** [tag, digest] in the tag list's order. */
  tags: Array<[string, string]>;
  /** What the repository's tags reach; a digest named both as a blob and as a manifest counts as a manifest. */
  reached: Map<string, 'manifest' | 'blob'>;
}

async function markRepository(reader: MarkReader, repository: string, tagsAtOnce: number): Promise<RepositoryMark> {
  const tagNames = await reader.allTags(repository);
  const tagSet = new Set(tagNames);
  const reached = new Map<string, 'manifest' | 'blob'>();
  // Walks run side by side: a manifest is claimed before any await, so two walks that reach it
  // read its children and referrers once between them.
  const visit = async (manifest: Manifest): Promise<void> => {
    if (reached.get(manifest.digest) === 'manifest') return;
    reached.set(manifest.digest, 'manifest');
    const { content } = manifest;
    for (const blob of [content.config, ...(content.layers ?? [])]) {
      if (blob !== undefined && !reached.has(blob.digest)) reached.set(blob.digest, 'blob');
    }
    for (const child of content.manifests ?? []) await visitDigest(child.digest);
    const { referrers } = await reader.referrers(repository, manifest.digest, { tags: tagSet });
    for (const referrer of referrers) await visitDigest(referrer.digest);
  };
  const visitDigest = async (digest: string): Promise<void> => {
    if (reached.get(digest) !== 'manifest') await visit(await reader.getManifest(repository, digest));
  };
  const tags = await mapLimited(tagNames, tagsAtOnce, async (tag): Promise<[string, string]> => {
    const manifest = await reader.getManifest(repository, tag);
    await visit(manifest);
    return [tag, manifest.digest];
  });
  return { tags, reached };
}

/** The digests the collector would delete that a tag reaches: any is a reason to abort before deleting. */
export function crossCheck(dryRun: CollectorReport, mark: IndependentMark): string[] {
  const eligible = [...dryRun.eligibleBlobs, ...dryRun.eligibleManifests.map((manifest) => manifest.digest)];
  return [...new Set(eligible.filter((digest) => mark.referenced.has(digest)))].sort();
}

/**
 * What no longer resolves after the collection: each tag that existed before must point at the
 * same manifest, and every manifest and blob the mark found must still be served. Returns
 * `repository:tag` or `repository@digest` for each failure, in the mark's order.
 */
export async function verifyAfterCollection(client: RegistryClient, before: IndependentMark): Promise<string[]> {
  return verifyMark(client, before);
}

export async function verifyMark(reader: VerifyReader, before: IndependentMark, concurrency = defaultVerifyConcurrency): Promise<string[]> {
  const tags = [...before.tags].map(([tag, digest]) => ({ tag, digest }));
  const tagFailures = await mapLimited(tags, concurrency, (check) => checkTag(reader, check));
  // A tag that still resolves to its manifest proves that manifest is served in its repository:
  // distribution reads the manifest's content to answer a HEAD by tag. Asking again by digest
  // would be a fifth of the verification's requests for nothing.
  const served = new Set(tags.filter((_, index) => tagFailures[index] === undefined).map(({ tag, digest }) => `${repositoryOf(tag)}@${digest}`));
  const contents: Array<{ repository: string; digest: string; kind: 'manifest' | 'blob' }> = [];
  for (const [digest, { repository, kind }] of before.referenced) {
    if (kind === 'blob' || !served.has(`${repository}@${digest}`)) contents.push({ repository, digest, kind });
  }
  const contentFailures = await mapLimited(contents, concurrency, (check) => checkContent(reader, check));
  return [...tagFailures, ...contentFailures].filter((failure): failure is string => failure !== undefined);
}

function repositoryOf(reference: string): string {
  return reference.slice(0, reference.lastIndexOf(':'));
}

async function checkTag(reader: VerifyReader, { tag: reference, digest }: { tag: string; digest: string }): Promise<string | undefined> {
  const colon = reference.lastIndexOf(':');
  try {
    const head = await reader.headManifest(reference.slice(0, colon), reference.slice(colon + 1));
    return head.digest === digest ? undefined : `${reference} (now ${head.digest}, was ${digest})`;
  } catch {
    return reference;
  }
}

async function checkContent(reader: VerifyReader, { repository, digest, kind }: { repository: string; digest: string; kind: 'manifest' | 'blob' }) {
  try {
    const present =
      kind === 'manifest' ? await reader.headManifest(repository, digest).then(() => true) : (await reader.headBlob(repository, digest)) !== 'absent';
    return present ? undefined : `${repository}@${digest}`;
  } catch {
    return `${repository}@${digest}`;
  }
}
