import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mediaTypes } from '../../src/oci/media-types.ts';
import { type Blob, digestOf, tarWithOneFile } from '../../test/registry/images.ts';
import { mapLimited } from '../../src/runtime/map-limited.ts';

export interface RetentionShape {
  repositories: number;
  tagsPerRepository: number;
  /** The policy: keep this many most recently pushed images per repository. */
  keep: number;
}

export const repositoryName = (index: number) => `bench/app-${String(index).padStart(3, '0')}`;
/** Tags are named in push order, so sorting names ranks by push time (what the crane loop and the floor rely on). */
export const tagName = (index: number) => `v${String(index).padStart(5, '0')}`;

/** The tags that must survive in every repository: the `keep` pushed last. */
export function expectedSurvivors(shape: RetentionShape): string[] {
  return Array.from({ length: shape.keep }, (_, offset) => tagName(shape.tagsPerRepository - shape.keep + offset));
}

const firstCreated = Date.UTC(2026, 0, 1);

/**
 * A small distinct image per tag: one layer shared by all, a config of its own
 * whose `created` time follows the push order one minute apart (what Dockyard without push
 * records, and regbot, rank by). Without `org.opencontainers.image.created` annotations, so a
 * reader that wants the time must read the config, as it must for images built by most tools.
 */
function image(layer: Blob, diffId: string, repository: string, index: number): { config: Blob; manifest: Buffer } {
  const configBytes = Buffer.from(
    JSON.stringify({
      created: new Date(firstCreated + index * 60_000).toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'dev.dockyard.bench/repository': repository } },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const config = { digest: digestOf(configBytes), bytes: configBytes };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: config.digest, size: configBytes.length },
      layers: [{ mediaType: mediaTypes.ociLayerGzip, digest: layer.digest, size: layer.bytes.length }],
    }),
  );
  return { config, manifest };
}

const benchLayerTar = tarWithOneFile('payload.txt', Buffer.from('dockyard retention benchmark\n'));
const benchLayerBytes = gzipSync(benchLayerTar);
const benchLayer: Blob = { digest: digestOf(benchLayerBytes), bytes: benchLayerBytes };

/** The image of `repository`'s `index`-th tag: the same bytes (so the same digests) at every call. */
export function retentionImage(repository: string, index: number): { config: Blob; manifest: Blob } {
  const { config, manifest } = image(benchLayer, digestOf(benchLayerTar), repository, index);
  return { config, manifest: { digest: digestOf(manifest), bytes: manifest } };
}

/**
 * Writes the benchmark's repositories straight into a filesystem storage directory, in the layout
 * distribution 2.8 and 3.x share (blobs/sha256/<2>/<hex>/data; per repository, _layers and
 * _manifests/revisions links, each tag's current and index links): what pushing them makes, in
 * seconds instead of the quarter hour 80,000 pushes take on a shared two-core machine. Each
 * contender's registry starts from a copy (LocalRegistry's seedStorageFrom), so all meet
 * identical content; every contender then reads it through the API, and the survivors are
 * verified through the API, so a layout the registry did not accept would fail the bench.
 * `blobsOnly` writes the layer and configs, linked into each repository, and no manifest or tag:
 * what a registry holds once a client uploaded every blob, so that pushing the manifests (through
 * Dockyard's door, which records each push) is all that is left to do.
 */
export async function writeRetentionStorage(
  shape: RetentionShape,
  options: { blobsOnly?: boolean } = {},
): Promise<{ storageDir: string; remove: () => Promise<void> }> {
  const storageDir = await mkdtemp(join(tmpdir(), 'dockyard-bench-retention-storage-'));
  const root = join(storageDir, 'docker/registry/v2');
  const writeBlob = async (blob: Blob) => {
    const hex = blob.digest.slice('sha256:'.length);
    const directory = join(root, 'blobs/sha256', hex.slice(0, 2), hex);
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'data'), blob.bytes);
  };
  const writeLink = async (path: string, digest: string) => {
    await mkdir(join(root, path), { recursive: true });
    await writeFile(join(root, path, 'link'), digest);
  };
  await writeBlob(benchLayer);
  const repositories = Array.from({ length: shape.repositories }, (_, index) => repositoryName(index));
  await mapLimited(repositories, 8, async (repository) => {
    const base = join('repositories', repository);
    const hexOf = (digest: string) => digest.slice('sha256:'.length);
    await writeLink(join(base, '_layers/sha256', hexOf(benchLayer.digest)), benchLayer.digest);
    for (let index = 0; index < shape.tagsPerRepository; index++) {
      const { config, manifest } = retentionImage(repository, index);
      await writeBlob(config);
      await writeLink(join(base, '_layers/sha256', hexOf(config.digest)), config.digest);
      if (options.blobsOnly === true) continue;
      await writeBlob(manifest);
      await writeLink(join(base, '_manifests/revisions/sha256', hexOf(manifest.digest)), manifest.digest);
      await writeLink(join(base, '_manifests/tags', tagName(index), 'current'), manifest.digest);
      await writeLink(join(base, '_manifests/tags', tagName(index), 'index/sha256', hexOf(manifest.digest)), manifest.digest);
    }
  });
  return { storageDir, remove: () => rm(storageDir, { recursive: true, force: true }) };
}
