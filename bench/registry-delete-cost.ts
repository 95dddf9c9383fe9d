// What one DELETE costs on the registries Dockyard runs, as a repository grows: by digest (2.8
// and 3.x untag every tag on the digest, finding them by reading every tag's link) and by tag
// (3.x only: one link removed). Filesystem storage on local disk, so these are the floor; object
// storage multiplies each tag read by a round trip (Harbor#12948: 38 s per delete on S3).
//   node bench/registry-delete-cost.ts [deletes per cell, default 15] [flavours, default distribution-3,distribution-2.8]
import { RegistryClient } from '../src/oci/client.ts';
import { DeleteByTagUnsupportedError } from '../src/oci/errors.ts';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import { type BuiltManifest, buildImage, digestOf } from '../test/registry/images.ts';
import { debianRegistryAvailable, LocalRegistry, type RegistryFlavor } from '../test/registry/local-registry.ts';
import { RegistryPusher } from '../test/registry/push.ts';
import { mapLimited } from '../src/runtime/map-limited.ts';

const deletesPerCell = Number(process.argv[2] ?? 15);
const tagCounts = [400, 4_000];
const flavors = (process.argv[3] ?? 'distribution-3,distribution-2.8').split(',') as RegistryFlavor[];
const repository = 'bench/tags';
const binDir = flavors.includes('distribution-3') ? await controlPlaneBinDir() : undefined;

/** `count` distinct manifests over one image's blobs (an annotation tells them apart), pushed once. */
function variants(base: BuiltManifest, count: number): BuiltManifest[] {
  const manifest = JSON.parse(base.bytes.toString()) as Record<string, unknown>;
  return Array.from({ length: count }, (_, index) => {
    const bytes = Buffer.from(JSON.stringify({ ...manifest, annotations: { 'dev.dockyard.bench/variant': String(index) } }));
    return { mediaType: base.mediaType, bytes, digest: digestOf(bytes), blobs: [], children: [] };
  });
}

/** A repository of `tags` tags, each on a manifest of its own. */
async function fill(registry: LocalRegistry, tags: number): Promise<{ tag: string; digest: string }[]> {
  const pusher = new RegistryPusher(registry.url);
  const base = buildImage();
  await pusher.pushManifest(repository, base, 'base');
  const manifests = variants(base, tags - 1);
  return mapLimited(manifests, 8, async (manifest, index) => {
    const tag = `v${String(index).padStart(5, '0')}`;
    await pusher.pushManifest(repository, manifest, tag);
    return { tag, digest: manifest.digest };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

interface Cell {
  flavor: RegistryFlavor;
  tags: number;
  byDigestMs: number[];
  byTagMs: number[] | 'refused (400)';
  requests: number;
  deletes: number;
}

const cells: Cell[] = [];
for (const flavor of flavors) {
  if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) {
    console.log('distribution-2.8: Debian docker-registry missing (make tools); skipped');
    continue;
  }
  for (const tags of tagCounts) {
    const registry = await LocalRegistry.start({ flavor, binDir });
    try {
      const filling = performance.now();
      const pushed = await fill(registry, tags);
      process.stderr.write(`${flavor}: ${tags} tags pushed in ${((performance.now() - filling) / 1000).toFixed(1)}s\n`);
      const client = new RegistryClient({ url: registry.url, maxConcurrency: 1 });
      // Warm the connection and the registry's own caches the way a retention run does before deleting.
      await client.allTags(repository);
      const byDigest = pushed.slice(0, deletesPerCell);
      const byTag = pushed.slice(deletesPerCell, 2 * deletesPerCell);
      const byDigestMs: number[] = [];
      for (const { digest } of byDigest) byDigestMs.push(await timed(() => client.deleteManifest(repository, digest)));
      let byTagMs: Cell['byTagMs'] = [];
      for (const { tag } of byTag) {
        try {
          byTagMs.push(await timed(() => client.deleteTag(repository, tag)));
        } catch (error) {
          if (!(error instanceof DeleteByTagUnsupportedError)) throw error;
          byTagMs = 'refused (400)';
          break;
        }
      }
      const counts = client.requestCounts();
      cells.push({
        flavor,
        tags,
        byDigestMs,
        byTagMs,
        requests: counts['manifest-delete'],
        deletes: byDigestMs.length + (Array.isArray(byTagMs) ? byTagMs.length : 1),
      });
      await client.close();
    } finally {
      await registry.stop();
    }
  }
}

const format = (values: number[] | string) => (typeof values === 'string' ? values : `${median(values).toFixed(1)} ms (max ${Math.max(...values).toFixed(1)})`);
console.log(`DELETE cost, filesystem storage, ${deletesPerCell} deletes per cell, median (max):`);
console.log(['registry'.padEnd(18), 'tags'.padStart(6), 'by digest'.padEnd(26), 'by tag'.padEnd(26), 'requests/delete'].join('  '));
for (const cell of cells) {
  console.log(
    [
      cell.flavor.padEnd(18),
      String(cell.tags).padStart(6),
      format(cell.byDigestMs).padEnd(26),
      format(cell.byTagMs).padEnd(26),
      (cell.requests / cell.deletes).toFixed(2),
    ].join('  '),
  );
}
