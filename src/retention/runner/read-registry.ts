import { isIndexMediaType, mediaTypes } from '../../oci/media-types.ts';
import type { Manifest } from '../../oci/manifest.ts';
import type { RegistryClient } from '../../oci/client.ts';
import type { ManifestSnapshot, RegistrySnapshot, RepositorySnapshot, TagSnapshot } from '../snapshot.ts';
import type { PushRecordIndex } from './read-records.ts';
import { mapLimited } from '../../runtime/map-limited.ts';

/** What the reader reports as it goes, for progress lines and a TTY progress bar. */
export interface ReadProgress {
  repositories: number;
  tags: number;
  manifests: number;
}

export interface ReadOptions {
  /** Which repositories to read (the policy's globs); others are never listed beyond the catalog. */
  selects: (repository: string) => boolean;
  /**
   * Whether image configs must be read for their `created` time: only when no push record can
   * stand in and a rule ranks or filters by push time. Each read is one request per image.
   */
  needCreatedTimes: boolean;
  /** The door's push and pull records, where the registry keeps them: an image with a push record needs no created time. */
  records?: PushRecordIndex | undefined;
  onProgress?: (progress: ReadProgress) => void;
}

const imageConfigTypes: ReadonlySet<string> = new Set([mediaTypes.ociConfig, mediaTypes.dockerConfig]);

/**
 * Repositories read side by side, and tags read at a time in each: together enough to keep the
 * client's connections busy (8 by default), also while a repository's tag list is read, and few
 * enough that waiting requests do not fill memory. Starting every tag's read at once queued them
 * all in the HTTP client: 530 MiB peak at 20,000 tags (bench/retention.ts), five times that at
 * the 100,000 a Job's memory limit is sized for.
 */
const repositoriesAtOnce = 4;
const tagReadsAtOnce = 16;

/** The OCI annotation builders set for the build time; when present it saves reading the config. */
const createdAnnotation = 'org.opencontainers.image.created';

/**
 * Reads the repositories a policy selects into the engine's snapshot: the catalog, every tag
 * (one manifest GET each, which also yields the digest, media type, size, index children and
 * subject), and an image's config only where its `created` time is needed and no annotation
 * states it. Requests run as fast as the client's concurrency bound allows.
 */
export async function readRegistrySnapshot(client: RegistryClient, options: ReadOptions): Promise<RegistrySnapshot> {
  const progress: ReadProgress = { repositories: 0, tags: 0, manifests: 0 };
  const names: string[] = [];
  for await (const page of client.repositories()) names.push(...page.filter(options.selects));
  const repositories = await mapLimited(names, repositoriesAtOnce, async (name) => {
    const repository = await readRepository(client, name, options, progress);
    progress.repositories += 1;
    options.onProgress?.(progress);
    return repository;
  });
  return { repositories, ...(options.records !== undefined ? { pullRecordsSince: options.records.completeSince } : {}) };
}

async function readRepository(client: RegistryClient, name: string, options: ReadOptions, progress: ReadProgress): Promise<RepositorySnapshot> {
  const tagNames = await client.allTags(name);
  const manifests = new Map<string, ManifestSnapshot>();
  const pending = new Map<string, Promise<ManifestSnapshot>>();
  const tags: TagSnapshot[] = await mapLimited(tagNames, tagReadsAtOnce, async (tag) => {
    const manifest = await client.getManifest(name, tag);
    progress.tags += 1;
    // Tags sharing a digest share one snapshot (and one config read).
    let snapshot = pending.get(manifest.digest);
    if (snapshot === undefined) {
      const recorded = options.records?.digest(name, manifest.digest);
      snapshot = manifestSnapshot(client, name, manifest, options.needCreatedTimes && recorded?.pushedAt === undefined).then((read) => ({
        ...read,
        ...recorded,
      }));
      pending.set(manifest.digest, snapshot);
    }
    manifests.set(manifest.digest, await snapshot);
    return { name: tag, digest: manifest.digest, ...options.records?.tag(name, tag, manifest.digest) };
  });
  progress.manifests += manifests.size;
  return { name, tags, manifests: [...manifests.values()] };
}

async function manifestSnapshot(client: RegistryClient, repository: string, manifest: Manifest, needCreatedTime: boolean): Promise<ManifestSnapshot> {
  const { content } = manifest;
  const mediaType = manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const children = isIndexMediaType(mediaType) ? (content.manifests ?? []).map((child) => child.digest) : undefined;
  const layerBytes = (content.layers ?? []).reduce((sum, layer) => sum + layer.size, 0);
  const size = manifest.size + (content.config?.size ?? 0) + layerBytes;
  return {
    digest: manifest.digest,
    mediaType,
    size,
    ...(children !== undefined ? { children } : {}),
    ...(content.subject !== undefined ? { subject: content.subject.digest } : {}),
    ...(await createdTime(client, repository, manifest, needCreatedTime)),
  };
}

async function createdTime(client: RegistryClient, repository: string, manifest: Manifest, needed: boolean): Promise<{ created?: number }> {
  const annotated = parseTime(manifest.content.annotations?.[createdAnnotation]);
  if (annotated !== undefined) return { created: annotated };
  if (needed && isIndexMediaType(manifest.mediaType)) return indexCreatedTime(client, repository, manifest);
  const config = manifest.content.config;
  // Indexes and artifacts without an image config have no created time to read.
  if (!needed || config === undefined || !imageConfigTypes.has(config.mediaType)) return {};
  const read = parseTime((await client.getConfig(repository, config.digest)).created);
  return read === undefined ? {} : { created: read };
}

/**
 * An index has no config of its own: its build time is that of its newest platform image, read
 * from each child (a manifest GET and a config GET per platform, only when no push record and no
 * annotation tells). Without it, a multi-arch image could never be ranked, and so never deleted.
 */
async function indexCreatedTime(client: RegistryClient, repository: string, index: Manifest): Promise<{ created?: number }> {
  const children = (index.content.manifests ?? []).filter((child) => !isIndexMediaType(child.mediaType));
  const times = await Promise.all(
    children.map(async (child) => (await createdTime(client, repository, await client.getManifest(repository, child.digest), true)).created),
  );
  const known = times.filter((time): time is number => time !== undefined);
  return known.length === 0 ? {} : { created: Math.max(...known) };
}

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  // Reproducible builds set the epoch: that is no build time, and ranking by it would be a lie.
  return Number.isFinite(time) && time > 0 ? time : undefined;
}
