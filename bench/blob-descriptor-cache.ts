// What dropping distribution's in-memory blob descriptor cache costs (config.ts leaves it out, so
// that a blob the collector deleted is never again reported present). Two 3.0.0 registries on
// local disk, one with `cache.blobdescriptor: inmemory` and one without, hold the same images;
// every blob is looked up by HEAD (what `docker push` asks before each layer, and what a pull's
// blob GET resolves first), warm, at 1 and 16 in flight. Local disk is the floor: on S3 every
// lookup the cache would have answered costs a HEAD on the bucket.
//   node bench/blob-descriptor-cache.ts [images, default 300]
import { stringify } from 'yaml';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import { buildImage } from '../test/registry/images.ts';
import { LocalRegistry, localRegistryConfig } from '../test/registry/local-registry.ts';
import { RegistryPusher } from '../test/registry/push.ts';
import { mapLimited } from '../src/runtime/map-limited.ts';

const imageCount = Number(process.argv[2] ?? 300);
const binDir = await controlPlaneBinDir();
const images = Array.from({ length: imageCount }, () => buildImage({ layerCount: 3, layerBytes: 512 }));
const lookups = images.flatMap((image) => image.blobs.map((blob) => blob.digest));

async function measure(cache: boolean): Promise<string> {
  const registry = await LocalRegistry.start({
    binDir,
    config: ({ port, storageDirectory }) =>
      stringify(
        localRegistryConfig(storageDirectory, port, {
          storage: {
            filesystem: { rootdirectory: storageDirectory },
            delete: { enabled: true },
            maintenance: { uploadpurging: { enabled: false } },
            ...(cache ? { cache: { blobdescriptor: 'inmemory' } } : {}),
          },
        }),
      ),
  });
  try {
    const pusher = new RegistryPusher(registry.url);
    await mapLimited(images, 8, (image, index) => pusher.pushManifest('bench/cache', image, `t${index}`));
    const head = async (digest: string) => {
      const response = await fetch(`${registry.url}/v2/bench/cache/blobs/${digest}`, { method: 'HEAD' });
      if (response.status !== 200) throw new Error(`HEAD ${digest}: ${response.status}`);
    };
    await mapLimited(lookups, 16, head); // warm: the cache (when on) now holds every descriptor
    const cells: string[] = [];
    for (const inFlight of [1, 16]) {
      const started = performance.now();
      await mapLimited(lookups, inFlight, head);
      const seconds = (performance.now() - started) / 1000;
      cells.push(`${inFlight} in flight: ${((seconds * 1e6) / lookups.length).toFixed(0)} µs/lookup (${(lookups.length / seconds).toFixed(0)}/s)`);
    }
    return `${cache ? 'inmemory cache' : 'no cache      '}  ${cells.join(', ')}`;
  } finally {
    await registry.stop();
  }
}

console.log(`blob HEAD lookups, ${lookups.length} blobs of ${imageCount} images, distribution 3.0.0 on local disk:`);
for (const cache of [true, false, true, false]) console.log(await measure(cache));
