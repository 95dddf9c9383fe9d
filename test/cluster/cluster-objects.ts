import { CoreV1Api, StorageV1Api, type KubeConfig, type V1Node, type V1StorageClass } from '@kubernetes/client-node';
import { fakeNodeSelector } from './components.ts';
import { hostPathProvisionerName } from './volume-provisioner.ts';

export const defaultStorageClassName = 'standard';

/**
 * With a real node in `make dev`, the kwok Nodes carry this taint so that what a newcomer applies
 * runs on the real node, where it really serves; DaemonSets that tolerate everything still land.
 */
export const fakeNodeTaint = { key: 'dockyard.dev/fake-node', value: 'true', effect: 'NoSchedule' } as const;

export function fakeNode(name: string, options: { tainted?: boolean } = {}): V1Node {
  const resources = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        [fakeNodeSelector.key]: fakeNodeSelector.value,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/worker': '',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    ...(options.tainted ? { spec: { taints: [fakeNodeTaint] } } : {}),
    status: {
      capacity: resources,
      allocatable: resources,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'kwok',
        kubeProxyVersion: 'kwok',
        containerRuntimeVersion: 'kwok',
        kernelVersion: 'kwok',
        osImage: 'kwok',
        machineID: name,
        systemUUID: name,
        bootID: name,
      },
    },
  };
}

/**
 * The default StorageClass. WaitForFirstConsumer, as in kind and most cloud clusters: a claim
 * binds only once a Pod using it is scheduled, so tests see the same ordering users do.
 */
export function defaultStorageClass(): V1StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: defaultStorageClassName,
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: hostPathProvisionerName,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };
}

export async function createClusterObjects(kubeConfig: KubeConfig, nodeCount: number, options: { taintFakeNodes?: boolean } = {}): Promise<string[]> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const storage = kubeConfig.makeApiClient(StorageV1Api);
  const names = Array.from({ length: nodeCount }, (_, i) => `kwok-node-${i}`);
  await Promise.all([
    ...names.map((name) => core.createNode({ body: fakeNode(name, { tainted: options.taintFakeNodes }) })),
    storage.createStorageClass({ body: defaultStorageClass() }),
  ]);
  return names;
}
