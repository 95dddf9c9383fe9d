import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collectorJob } from '../../../src/controllers/registry/garbage-collection/collector-job.ts';
import { MarkMemory } from '../../../src/controllers/registry/garbage-collection/driver.ts';
import { registry } from '../../support/registries.ts';
import { collectable, fillForCollection, type GarbageFixture, pullCompletely, storedBytes } from '../../registry/gc-fixtures.ts';
import { ClusterState, drive, type LocalCollectionRig, localPorts, startCollectionRig } from '../../registry/gc-local-ports.ts';
import { buildImage } from '../../registry/images.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { S3Server } from '../../registry/s3-server.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';

// Issue 15: garbage collection of a Registry on object storage with two replicas, as the operator
// drives it, on real parts: versitygw, two distribution 3.0.0 processes on one bucket, each behind
// its own door, and the collector run with its Job's args and env (the S3 credentials from the
// user's Secret). The Job mounts no volume, so it runs on any node; the gate has to stand at
// every replica's door before anything is deleted, and pulls from either never fail.
const bucket = 'images';
const credentialsSecret = 'object-store';
const rootDirectory = '/registry';
const blobKey = (digest: string) => {
  const hex = digest.slice('sha256:'.length);
  return `registry/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
};

describe.skipIf(inject('externalCluster'))('garbage collection on s3 with two replicas (distribution-3)', () => {
  let s3: S3Server;
  let rig: LocalCollectionRig;
  let fixture: GarbageFixture;
  let spec: Record<string, unknown>;

  beforeAll(async () => {
    s3 = await S3Server.start({ binDir: inject('binDir'), buckets: [bucket] });
    spec = {
      replicas: 2,
      storage: {
        s3: { bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, rootDirectory, credentialsSecretRef: { name: credentialsSecret } },
      },
      garbageCollection: { schedule: '0 4 * * *', deleteUntagged: true },
    };
    rig = await startCollectionRig({ spec, binDir: inject('binDir'), replicas: 2, userSecrets: { [credentialsSecret]: { ...s3.credentials } } });
    fixture = await fillForCollection(rig.front, rig.plan);
  });

  afterAll(async () => {
    await rig?.stop();
    await s3?.stop();
  });

  it('runs the collector without a volume or a node: it reaches the bucket with the credentials Secret alone', () => {
    const job = collectorJob(registry(spec), { phase: 'collect', run: 'r1', deleteUntagged: true, activeDeadlineSeconds: 600 });
    const pod = job.spec!.template.spec!;
    expect(pod.nodeName).toBeUndefined();
    expect(pod.volumes?.map((volume) => Object.keys(volume).filter((key) => key !== 'name')[0]).sort()).toEqual(['emptyDir', 'secret']);
    const secretRefs = pod.containers[0]!.env?.map((variable) => variable.valueFrom?.secretKeyRef?.name);
    expect(secretRefs).toContain(credentialsSecret);
  });

  it('gates both replicas, frees the bucket of exactly what nothing references, and no pull from either replica fails', async () => {
    const doors = rig.replicas.map((replica) => replica.door);
    const puller = new TokenAuthClient(rig.plan.credentials.pull.published);
    const pushClient = new TokenAuthClient(rig.plan.credentials.push.published);
    const storedBefore = await s3.bytesStored(bucket);
    let stop = false;
    const pullFailures: string[] = [];
    const pullsPerReplica = [0, 0];
    const pullLoop = (async () => {
      for (let round = 0; !stop; round++) {
        const replica = round % doors.length;
        pullFailures.push(...(await pullCompletely(doors[replica]!, puller, 'apps/web', fixture.kept, 'current')));
        pullFailures.push(...(await pullCompletely(doors[replica]!, puller, 'apps/multi', fixture.index, 'v1')));
        pullsPerReplica[replica]! += 1;
      }
    })();
    const pushes: { replica: number; at: number; outcome: string; bytes: number }[] = [];
    const pushLoop = (async () => {
      for (let round = 0; !stop; round++) {
        const replica = round % doors.length;
        const image = buildImage();
        try {
          await new RegistryPusher(doors[replica]!.url, {}, pushClient.fetch).pushManifest('apps/ci', image, `build-${round}`);
          pushes.push({ replica, at: Date.now(), outcome: 'accepted', bytes: storedBytes(image) });
        } catch (error) {
          const message = (error as Error).message;
          const outcome = /HTTP 403 .*DENIED.*maintenance \(garbage collection\)/.test(message) ? 'maintenance' : message;
          pushes.push({ replica, at: Date.now(), outcome, bytes: 0 });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));

    const cluster = new ClusterState();
    try {
      await drive(localPorts(rig, cluster), cluster, new MarkMemory());
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      stop = true;
      await Promise.all([pullLoop, pushLoop]);
    }

    const lastRun = cluster.status.lastRun!;
    expect(lastRun, lastRun.message).toMatchObject({ outcome: 'Succeeded' });
    expect(pullFailures).toEqual([]);
    expect(pullsPerReplica.every((count) => count > 0)).toBe(true);
    expect(pushes.filter((push) => push.outcome !== 'accepted' && push.outcome !== 'maintenance')).toEqual([]);
    // The gate stood at each door, not only at the one a proxy happened to send the pushes to.
    for (const replica of [0, 1]) expect(pushes.some((push) => push.replica === replica && push.outcome === 'maintenance')).toBe(true);
    expect(pushes.some((push) => push.outcome === 'accepted' && push.at > Date.parse(lastRun.completionTime!))).toBe(true);

    const { digests, bytes } = collectable(fixture);
    expect(lastRun.blobsDeleted).toBeGreaterThanOrEqual(digests.length);
    const keys = new Set(await s3.objectKeys(bucket));
    for (const digest of digests) expect(keys.has(blobKey(digest)), digest).toBe(false);
    const kept = [fixture.kept, fixture.index, ...fixture.index.children].flatMap((image) => [image.digest, ...image.blobs.map((blob) => blob.digest)]);
    for (const digest of [...kept, fixture.sharedLayerDigest]) expect(keys.has(blobKey(digest)), digest).toBe(true);
    // Net of the pushes that went on around the gate, the bucket shrank by at least the collected images.
    const pushedBytes = pushes.reduce((sum, push) => sum + push.bytes, 0);
    expect(storedBefore + pushedBytes - (await s3.bytesStored(bucket))).toBeGreaterThanOrEqual(bytes);
    expect(lastRun.bytesReclaimed).toBeGreaterThanOrEqual(bytes - fixture.deleted.bytes.length - fixture.untagged.bytes.length);

    for (const door of doors) {
      expect(await pullCompletely(door, puller, 'apps/web', fixture.kept, 'current')).toEqual([]);
      expect(await pullCompletely(door, puller, 'apps/multi', fixture.index, 'v1')).toEqual([]);
    }
    // A collected layer pushed again through one replica is served by the other.
    const again = { ...fixture.deleted };
    await new RegistryPusher(doors[0]!.url, {}, pushClient.fetch).pushManifest('apps/web', again, 'again');
    expect(await pullCompletely(doors[1]!, puller, 'apps/web', again, 'again')).toEqual([]);
  });
});
