import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig, type V1PersistentVolume, type V1PersistentVolumeClaim } from '@kubernetes/client-node';

export const hostPathProvisionerName = 'dockyard.dev/test-hostpath';
const provisionedByAnnotation = 'pv.kubernetes.io/provisioned-by';
const storageProvisionerAnnotation = 'volume.kubernetes.io/storage-provisioner';
const selectedNodeAnnotation = 'volume.kubernetes.io/selected-node';

/**
 * The PersistentVolume a claim gets: a hostPath directory under the cluster's work dir, pinned to
 * the node the scheduler picked, pre-bound to the claim. kube-controller-manager's binder then
 * binds the pair, exactly as it does for a CSI provisioner's volumes.
 */
export function volumeForClaim(claim: V1PersistentVolumeClaim, volumeRoot: string): V1PersistentVolume {
  const meta = claim.metadata ?? {};
  const uid = meta.uid;
  if (uid === undefined || meta.name === undefined || meta.namespace === undefined) {
    throw new Error('claim has no uid, name or namespace');
  }
  const node = meta.annotations?.[selectedNodeAnnotation];
  const storage = claim.spec?.resources?.requests?.['storage'] ?? '1Gi';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: `pvc-${uid}`,
      annotations: { [provisionedByAnnotation]: hostPathProvisionerName },
    },
    spec: {
      capacity: { storage },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: claim.spec?.storageClassName,
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: meta.namespace, name: meta.name, uid },
      hostPath: { path: join(volumeRoot, `${meta.namespace}-${meta.name}-${uid}`), type: 'DirectoryOrCreate' },
      ...(node === undefined
        ? {}
        : {
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }],
              },
            },
          }),
    },
  };
}

function wantsVolume(claim: V1PersistentVolumeClaim): boolean {
  const annotations = claim.metadata?.annotations ?? {};
  return (
    claim.status?.phase === 'Pending' &&
    !claim.spec?.volumeName &&
    claim.metadata?.deletionTimestamp === undefined &&
    annotations[storageProvisionerAnnotation] === hostPathProvisionerName &&
    // WaitForFirstConsumer: provision only once the scheduler has chosen the node.
    annotations[selectedNodeAnnotation] !== undefined
  );
}

function isReleasedVolume(volume: V1PersistentVolume): boolean {
  return (
    volume.metadata?.annotations?.[provisionedByAnnotation] === hostPathProvisionerName &&
    volume.status?.phase === 'Released' &&
    volume.spec?.persistentVolumeReclaimPolicy === 'Delete'
  );
}

/**
 * A small external provisioner for the default StorageClass. It polls rather than watches: a
 * test cluster holds a handful of claims, and a poll cannot stall silently.
 */
export class HostPathProvisioner {
  private readonly core: CoreV1Api;
  private readonly volumeRoot: string;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(kubeConfig: KubeConfig, volumeRoot: string) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.volumeRoot = volumeRoot;
  }

  start(intervalMs = 500): void {
    this.loop = (async () => {
      while (!this.abort.signal.aborted) {
        try {
          await this.syncOnce();
          this.lastError = undefined;
        } catch (error) {
          // The apiserver may be restarted on purpose by a test; report each new failure once.
          const message = error instanceof Error ? error.message : String(error);
          if (message !== this.lastError) process.stderr.write(`[volume-provisioner] ${message}\n`);
          this.lastError = message;
        }
        await sleep(intervalMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  async syncOnce(): Promise<void> {
    const [claims, volumes] = await Promise.all([this.core.listPersistentVolumeClaimForAllNamespaces(), this.core.listPersistentVolume()]);
    const existing = new Set(volumes.items.map((v) => v.metadata?.name));
    for (const claim of claims.items.filter(wantsVolume)) {
      const volume = volumeForClaim(claim, this.volumeRoot);
      if (existing.has(volume.metadata?.name)) continue;
      const path = volume.spec?.hostPath?.path ?? this.volumeRoot;
      await mkdir(path, { recursive: true });
      // Writable by any user, as local-path provisioners make them: on the real node the
      // registry runs as 65532, and fsGroup does not apply to hostPath volumes.
      await chmod(path, 0o777);
      await this.core.createPersistentVolume({ body: volume });
    }
    for (const volume of volumes.items.filter(isReleasedVolume)) {
      const path = volume.spec?.hostPath?.path;
      if (path?.startsWith(this.volumeRoot)) await rm(path, { recursive: true, force: true });
      await this.core.deletePersistentVolume({ name: volume.metadata?.name ?? '' });
    }
  }
}
