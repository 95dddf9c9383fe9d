import { describe, expect, it } from 'vitest';
import { collectorArgs, collectorJob } from '../../../../src/controllers/registry/garbage-collection/collector-job.ts';
import { collectionProblem, distributionMajorVersion } from '../../../../src/controllers/registry/garbage-collection/collection-problems.ts';
import { collectorJobName } from '../../../../src/controllers/common/registry-children.ts';
import { paths } from '../../../../src/registry-auth/pod-contract.ts';
import { registry } from '../../../support/registries.ts';

const pvc = (accessMode = 'ReadWriteOnce') => ({ persistentVolumeClaim: { size: '20Gi', accessMode } });
const gc = { schedule: '0 4 * * *', deleteUntagged: true };

describe('collectorArgs', () => {
  it('dry-runs first, deletes untagged manifests only when asked, and never runs quiet', () => {
    expect(collectorArgs('dry-run', false)).toEqual(['garbage-collect', '--dry-run', paths.configFile]);
    expect(collectorArgs('collect', true)).toEqual(['garbage-collect', '--delete-untagged', paths.configFile]);
    for (const phase of ['dry-run', 'collect'] as const) for (const untagged of [true, false]) expect(collectorArgs(phase, untagged)).not.toContain('--quiet');
  });
});

describe('collectorJob', () => {
  const subject = registry({ storage: { ...pvc() }, garbageCollection: gc, image: 'registry:3.0.0' });
  const job = collectorJob(subject, { phase: 'dry-run', run: 'r1a2b3', deleteUntagged: true, nodeName: 'node-7', activeDeadlineSeconds: 1799.6 });
  const pod = job.spec!.template.spec!;

  it('is named for its run and phase within 63 characters, and owned by the Registry', () => {
    expect(job.metadata!.name).toBe(collectorJobName('main', 'r1a2b3', 'dry-run'));
    expect(collectorJobName('x'.repeat(43), 'abcdefghij', 'collect').length).toBeLessThanOrEqual(63);
    expect(job.metadata!.ownerReferences?.[0]).toMatchObject({ kind: 'Registry', name: 'main', controller: true });
    expect(job.metadata!.labels).toMatchObject({ 'dockyard.dev/gc-run': 'r1a2b3', 'dockyard.dev/gc-phase': 'dry-run' });
  });

  it('runs the registry image on the registry config and storage, on the node of a ReadWriteOnce claim, once', () => {
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 1799, ttlSecondsAfterFinished: 86_400 });
    expect(pod.nodeName).toBe('node-7');
    expect(pod.restartPolicy).toBe('Never');
    const container = pod.containers[0]!;
    expect(container.image).toBe('registry:3.0.0');
    expect(container.args).toEqual(collectorArgs('dry-run', true));
    expect(Object.fromEntries(container.volumeMounts!.map((mount) => [mount.mountPath, mount.name]))).toEqual({
      [paths.configDir]: 'config',
      [paths.storage]: 'storage',
      [paths.tmp]: 'tmp',
    });
    expect(pod.volumes?.find((volume) => volume.name === 'storage')?.persistentVolumeClaim?.claimName).toBe('main-registry-data');
    expect(pod.volumes?.find((volume) => volume.name === 'config')?.secret?.secretName).toBe('main-registry-config');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('takes the S3 credentials from the env the registry uses, and not the http secret', () => {
    const s3 = registry({ storage: { s3: { bucket: 'images', region: 'us-east-1', credentialsSecretRef: { name: 's3-creds' } } }, garbageCollection: gc });
    const env = collectorJob(s3, { phase: 'collect', run: 'r1', deleteUntagged: false, activeDeadlineSeconds: 60 }).spec!.template.spec!.containers[0]!.env!;
    expect(env.map((variable) => variable.name)).toEqual(['REGISTRY_STORAGE_S3_ACCESSKEY', 'REGISTRY_STORAGE_S3_SECRETKEY']);
    expect(env[0]!.valueFrom?.secretKeyRef).toEqual({ name: 's3-creds', key: 'accessKeyID' });
  });
});

describe('collectionProblem', () => {
  it.each([
    ['registry:2.8.3', 2],
    ['docker.io/library/registry:3.0.0', 3],
    ['localhost:5000/distribution/distribution:v3.0.0-rc.1', 3],
    ['registry:2', 2],
    ['registry', undefined],
    ['registry:latest', undefined],
    ['registry@sha256:abc', undefined],
    ['my.host:5000/registry', undefined],
  ])('reads the distribution major version of %s as %s', (image, major) => {
    expect(distributionMajorVersion(image)).toBe(major);
  });

  it('refuses deleteUntagged on 2.x, naming the multi-arch bug, and allows it on 3.x', () => {
    const old = collectionProblem(registry({ storage: pvc(), garbageCollection: gc, image: 'registry:2.8.3' }));
    expect(old).toMatchObject({ reason: 'DeleteUntaggedUnsafe', field: 'spec.garbageCollection.deleteUntagged' });
    expect(old?.message).toContain('distribution#3178');
    expect(collectionProblem(registry({ storage: pvc(), garbageCollection: { ...gc, deleteUntagged: false }, image: 'registry:2.8.3' }))).toBeUndefined();
    expect(collectionProblem(registry({ storage: pvc(), garbageCollection: gc, image: 'registry:3.0.0' }))).toBeUndefined();
    expect(collectionProblem(registry({ storage: pvc(), garbageCollection: gc }))).toBeUndefined();
    expect(collectionProblem(registry({ storage: pvc(), garbageCollection: gc, image: `registry@sha256:${'a'.repeat(64)}` }))?.message).toContain(
      'does not say its version',
    );
  });

  it('refuses storage the collector Job cannot mount', () => {
    expect(collectionProblem(registry({ storage: { emptyDir: {} }, garbageCollection: gc }))?.field).toBe('spec.storage.emptyDir');
    expect(collectionProblem(registry({ storage: pvc('ReadWriteOncePod'), garbageCollection: gc }))?.reason).toBe('GarbageCollectionStorageUnsupported');
    expect(collectionProblem(registry({ storage: pvc('ReadWriteMany'), garbageCollection: gc }))).toBeUndefined();
    expect(collectionProblem(registry({ storage: { emptyDir: {} } }))).toBeUndefined();
  });
});
