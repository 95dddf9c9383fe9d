// How long a garbage collection keeps pushes out (the write gate), and how long the collector
// itself runs, as the registry grows: distribution 3.0.0 on local disk behind the real door, the
// whole sequence driven as the operator drives it (test/registry/gc-local-ports.ts), the
// collector run with its Job's args. A fifth of the images are deleted before each collection.
//   node bench/gc.ts [blob counts, default 1000,10000]
import { RegistrySpec } from '../src/api/v1alpha1/registry.ts';
import { MarkMemory } from '../src/controllers/registry/garbage-collection/driver.ts';
import { RegistryClient } from '../src/oci/client.ts';
import { planCredentials } from '../src/registry-auth/credential-plan.ts';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import { DockyardRegistry } from '../test/registry/dockyard-registry.ts';
import { ClusterState, drive, localPorts } from '../test/registry/gc-local-ports.ts';
import { buildImage } from '../test/registry/images.ts';
import { RegistryPusher } from '../test/registry/push.ts';
import { TokenAuthClient } from '../test/registry/token-auth.ts';
import { mapLimited } from '../src/runtime/map-limited.ts';

const blobCounts = (process.argv[2] ?? '1000,10000').split(',').map(Number);
const binDir = await controlPlaneBinDir();
const spec = { storage: { persistentVolumeClaim: { size: '10Gi' } }, garbageCollection: { schedule: '0 4 * * *', deleteUntagged: true } };
// An image is a manifest, a config and two layers: four blobs in distribution's blob store.
const blobsPerImage = 4;

for (const blobs of blobCounts) {
  const plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
  const dockyard = await DockyardRegistry.start({
    flavor: 'distribution-3',
    binDir,
    spec: RegistrySpec.parse(spec),
    namespace: 'bench',
    name: 'gc',
    credentials: plan,
  });
  let doorClient: RegistryClient | undefined;
  try {
    const door = await dockyard.startAuthServer();
    doorClient = new RegistryClient({ url: door.url, credentials: plan.credentials.maintainer.published });
    const pusher = new RegistryPusher(door.url, {}, new TokenAuthClient(plan.credentials.push.published).fetch);
    const images = Array.from({ length: Math.ceil(blobs / blobsPerImage) }, () => buildImage({ layerCount: 2, layerBytes: 256 }));
    const filling = performance.now();
    // Ten repositories, so that the mark walks several.
    await mapLimited(images, 16, (image, index) => pusher.pushManifest(`bench/repo-${index % 10}`, image, `t${index}`));
    const maintainer = new TokenAuthClient(plan.credentials.maintainer.published);
    const doomed = images.filter((_, index) => index % 5 === 0);
    await mapLimited(doomed, 16, async (image) => {
      const index = images.indexOf(image);
      const response = await maintainer.fetch(`${door.url}/v2/bench/repo-${index % 10}/manifests/${image.digest}`, { method: 'DELETE' });
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`delete: ${response.status}`);
    });
    const filledSeconds = (performance.now() - filling) / 1000;

    const cluster = new ClusterState();
    const rig = { dockyard, door, client: doorClient, spec, binDir };
    await drive(localPorts(rig, cluster), cluster, new MarkMemory());
    const lastRun = cluster.status.lastRun!;
    const gateSeconds = (Date.parse(lastRun.completionTime!) - Date.parse(lastRun.startTime)) / 1000;
    if (lastRun.outcome !== 'Succeeded') throw new Error(`the collection ended ${lastRun.outcome}: ${lastRun.message}`);
    console.log(
      `${images.length * blobsPerImage} blobs (${images.length} images, ${doomed.length} deleted; filled in ${filledSeconds.toFixed(0)} s): ` +
        `write gate ${gateSeconds.toFixed(1)} s, of which collector dry run ${cluster.collectorSeconds['dry-run']!.toFixed(1)} s and ` +
        `collection ${cluster.collectorSeconds['collect']!.toFixed(1)} s; ${lastRun.blobsDeleted} blobs deleted`,
    );
  } finally {
    await doorClient?.close();
    await dockyard.stop();
  }
}
