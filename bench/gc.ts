// How long a garbage collection keeps pushes out (the write gate), and how long the collector
// itself runs, as the registry grows: distribution 3.0.0 on local disk behind the real door, the
// whole sequence driven as the operator drives it (test/registry/gc-local-ports.ts), the
// collector run with its Job's args. A fifth of the images are deleted before each collection.
// Dockyard's own mark and verification are timed apart, and set against the floor: the blob
// HEADs per second this machine's registry serves (the verification is mostly blob HEADs).
//   node bench/gc.ts [blob counts, default 1000,10000]    (quick: node bench/gc.ts 1000)
import { MarkMemory } from '../src/controllers/registry/garbage-collection/driver.ts';
import { controlPlaneBinDir } from '../test/cluster/binaries.ts';
import { ClusterState, drive, localPorts, startCollectionRig } from '../test/registry/gc-local-ports.ts';
import { buildImage } from '../test/registry/images.ts';
import { RegistryPusher } from '../test/registry/push.ts';
import { TokenAuthClient } from '../test/registry/token-auth.ts';
import type { RegistryClient } from '../src/oci/client.ts';
import { mapLimited } from '../src/runtime/map-limited.ts';
import { Agent, request } from 'undici';
import { bearerChallenge, tokenUrl } from '../src/oci/challenge.ts';
import { tokenPath } from '../src/registry-auth/pod-contract.ts';

const blobCounts = (process.argv[2] ?? '1000,10000').split(',').map(Number);
const binDir = await controlPlaneBinDir();
const spec = { storage: { persistentVolumeClaim: { size: '10Gi' } }, garbageCollection: { schedule: '0 4 * * *', deleteUntagged: true } };
// An image is a manifest, a config and two layers: four blobs in distribution's blob store.
const blobsPerImage = 4;

for (const blobs of blobCounts) {
  const rig = await startCollectionRig({ spec, binDir });
  const { plan, client: doorClient } = rig;
  const { dockyard, door } = rig.replicas[0]!;
  try {
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
    // The ports as the operator's, with Dockyard's own mark and verification timed.
    const ports = localPorts(rig, cluster);
    const timed = { mark: 0, verify: 0 };
    const requestsBefore = totalRequests(doorClient);
    await drive(
      {
        ...ports,
        mark: () => timing(ports.mark(), (seconds) => (timed.mark += seconds)),
        verify: (before) => timing(ports.verify(before), (seconds) => (timed.verify += seconds)),
      },
      cluster,
      new MarkMemory(),
    );
    const markRequests = totalRequests(doorClient) - requestsBefore;
    const lastRun = cluster.status.lastRun!;
    // The floor: how many blob HEADs this machine serves, through the door (as the mark reads)
    // and from distribution directly, with requests enough in flight to keep every connection busy.
    const kept = images.find((_, index) => index % 5 !== 0)!;
    const keptRepository = `bench/repo-${images.indexOf(kept) % 10}`;
    const viaDoor = await servedPerSecond(async () => {
      if ((await doorClient.headBlob(keptRepository, kept.blobs[0]!.digest)) === 'absent') throw new Error('a kept blob is absent');
    });
    const direct = await directBlobHead(dockyard.registry.url, door.url, plan.credentials.maintainer.published!, keptRepository, kept.blobs[0]!.digest);
    const viaRegistry = await servedPerSecond(direct.send);
    await direct.close();
    const gateSeconds = (Date.parse(lastRun.completionTime!) - Date.parse(lastRun.startTime)) / 1000;
    if (lastRun.outcome !== 'Succeeded') throw new Error(`the collection ended ${lastRun.outcome}: ${lastRun.message}`);
    console.log(
      `${images.length * blobsPerImage} blobs (${images.length} images, ${doomed.length} deleted; filled in ${filledSeconds.toFixed(0)} s): ` +
        `write gate ${gateSeconds.toFixed(1)} s, of which collector dry run ${cluster.collectorSeconds['dry-run']!.toFixed(1)} s and ` +
        `collection ${cluster.collectorSeconds['collect']!.toFixed(1)} s, Dockyard's mark ${timed.mark.toFixed(1)} s and verification ` +
        `${timed.verify.toFixed(1)} s (${markRequests} requests through the door, ${(markRequests / (timed.mark + timed.verify)).toFixed(0)}/s); ` +
        `${lastRun.blobsDeleted} blobs deleted; phases (s) ${JSON.stringify(lastRun.phaseSeconds)}. Floor: blob HEADs served ${viaDoor.toFixed(0)}/s through the door, ${viaRegistry.toFixed(0)}/s by distribution directly`,
    );
  } finally {
    await rig.stop();
  }
}

async function timing<T>(work: Promise<T>, record: (seconds: number) => void): Promise<T> {
  const started = performance.now();
  try {
    return await work;
  } finally {
    record((performance.now() - started) / 1000);
  }
}

function totalRequests(client: RegistryClient): number {
  return Object.values(client.requestCounts()).reduce((sum, count) => sum + count, 0);
}

/** Requests per second that `send` achieves, 2,000 of them, 32 at a time (the client's 8 connections each with some waiting). */
async function servedPerSecond(send: () => Promise<void>): Promise<number> {
  const count = 2000;
  const started = performance.now();
  await mapLimited(Array.from({ length: count }), 32, send);
  return count / ((performance.now() - started) / 1000);
}

/** A blob HEAD straight to distribution, with a token the door issued for the challenge distribution sent. */
async function directBlobHead(registryUrl: string, doorUrl: string, credentials: { username: string; password: string }, repository: string, digest: string) {
  const agent = new Agent({ connections: 8 });
  const url = `${registryUrl}/v2/${repository}/blobs/${digest}`;
  const challenged = await request(url, { method: 'HEAD', dispatcher: agent });
  await challenged.body.dump();
  const challenge = bearerChallenge(challenged.headers['www-authenticate'])!;
  // distribution's realm is a placeholder the door rewrites; ask the door itself.
  const tokenRequest = tokenUrl({ ...challenge, realm: `${doorUrl}${tokenPath}` }, challenge.scopes);
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  const { token } = (await (await fetch(tokenRequest, { headers: { authorization: `Basic ${basic}` } })).json()) as { token: string };
  return {
    send: async () => {
      const answer = await request(url, { method: 'HEAD', dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
      await answer.body.dump();
      if (answer.statusCode !== 200) throw new Error(`HEAD ${url}: ${answer.statusCode}`);
    },
    close: () => agent.close(),
  };
}
