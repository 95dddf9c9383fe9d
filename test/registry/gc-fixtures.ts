import { expect } from 'vitest';
import { manifestAccept } from '../../src/oci/media-types.ts';
import type { CredentialPlan } from '../../src/registry-auth/credential-plan.ts';
import { buildImage, buildIndex, buildLayer, type BuiltManifest } from './images.ts';
import { RegistryPusher } from './push.ts';
import { TokenAuthClient } from './token-auth.ts';

/** What a garbage collection test fills a registry with: a deleted image, an untagged one, a kept one sharing a layer with the deleted, a multi-arch index. */
export interface GarbageFixture {
  deleted: BuiltManifest;
  untagged: BuiltManifest;
  kept: BuiltManifest;
  index: BuiltManifest;
  sharedLayerDigest: string;
}

/** `door`: a registry's door, or anything in front of its doors. */
export async function fillForCollection(door: { url: string }, plan: CredentialPlan): Promise<GarbageFixture> {
  const pusher = new RegistryPusher(door.url, {}, new TokenAuthClient(plan.credentials.push.published).fetch);
  const shared = buildLayer(4096);
  const deleted = buildImage({ sharedLayers: [shared], layerBytes: 64 * 1024 });
  const kept = buildImage({ sharedLayers: [shared] });
  const untagged = buildImage({ layerBytes: 32 * 1024 });
  const index = buildIndex([{ architecture: 'amd64' }, { architecture: 'arm64' }]);
  await pusher.pushManifest('apps/web', deleted, 'old');
  await pusher.pushManifest('apps/web', kept, 'current');
  await pusher.pushManifest('apps/web', untagged);
  await pusher.pushManifest('apps/multi', index, 'v1');
  const maintainer = new TokenAuthClient(plan.credentials.maintainer.published);
  const deletion = await maintainer.fetch(`${door.url}/v2/apps/web/manifests/${deleted.digest}`, { method: 'DELETE' });
  expect(deletion.status).toBe(202);
  await deletion.arrayBuffer();
  return { deleted, untagged, kept, index, sharedLayerDigest: shared.blob.digest };
}

/**
 * What a first push of `image` to a new tag adds to storage: the manifest and blobs, and a
 * 71-byte link file (`sha256:<hex>`) for each blob in the repository, for the revision, and for
 * the tag's current and index.
 */
export function storedBytes(image: BuiltManifest): number {
  return image.bytes.length + image.blobs.reduce((sum, blob) => sum + blob.bytes.length, 0) + 71 * (image.blobs.length + 3);
}

/** The digests a collection must free, and their bytes: the deleted and the untagged image, less the shared layer. */
export function collectable(fixture: GarbageFixture): { digests: string[]; bytes: number } {
  const images = [fixture.deleted, fixture.untagged];
  const digests = images.flatMap((image) => [
    image.digest,
    ...image.blobs.filter((blob) => blob.digest !== fixture.sharedLayerDigest).map((blob) => blob.digest),
  ]);
  const bytes = images.reduce(
    (sum, image) =>
      sum + image.bytes.length + image.blobs.filter((blob) => blob.digest !== fixture.sharedLayerDigest).reduce((total, blob) => total + blob.bytes.length, 0),
    0,
  );
  return { digests, bytes };
}

/** Pulls a tag completely: the manifest, every child of an index, every blob; returns what failed. */
export async function pullCompletely(
  door: { url: string },
  client: TokenAuthClient,
  repository: string,
  image: BuiltManifest,
  reference: string,
): Promise<string[]> {
  const failures: string[] = [];
  const manifest = await client.fetch(`${door.url}/v2/${repository}/manifests/${reference}`, { headers: { accept: manifestAccept } });
  const bytes = Buffer.from(await manifest.arrayBuffer());
  if (manifest.status !== 200 || !bytes.equals(image.bytes)) failures.push(`${repository}:${reference} manifest ${manifest.status}`);
  for (const child of image.children) failures.push(...(await pullCompletely(door, client, repository, child, child.digest)));
  for (const blob of image.blobs) {
    const response = await client.fetch(`${door.url}/v2/${repository}/blobs/${blob.digest}`);
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200 || !body.equals(blob.bytes)) failures.push(`${repository}@${blob.digest} blob ${response.status}`);
  }
  return failures;
}
