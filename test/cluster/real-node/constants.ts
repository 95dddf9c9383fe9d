/**
 * The one real node the local control plane can add beside its kwok Nodes, and what it claims on
 * the host. Fixed names, because a machine has at most one (see host-lock.ts): a second test run
 * finds the lock taken and goes on with kwok Nodes only.
 */
export const realNodeName = 'dockyard-real-node';

/** Every real-node Pod lands here: tests select it with this label. */
export const realNodeLabel = { key: 'dockyard.dev/real-node', value: 'true' } as const;

/**
 * The real node is tainted so that only Pods that ask for it run there: the integration suite's
 * other files create hundreds of Pods that expect kwok's instant, free "Running", and a real
 * kubelet would try to pull and run every one of them. `make dev` flips it round (see cli.ts).
 */
export const realNodeTaint = { key: 'dockyard.dev/real-node', value: 'true', effect: 'NoSchedule' } as const;

/** The toleration (and node selector) a Pod carries to run on the real node. */
export const realNodePlacement = {
  nodeSelector: { [realNodeLabel.key]: realNodeLabel.value },
  tolerations: [{ key: realNodeTaint.key, operator: 'Equal', value: realNodeTaint.value, effect: realNodeTaint.effect }],
};

/**
 * The Pod network: one bridge on the host. Its gateway address is also where Pods reach the
 * apiserver (the `kubernetes` Service's endpoint) and cluster DNS, both host processes: kwok's
 * fake Pod IPs are 10.244.0.0/16, so this range is apart from them.
 */
export const podNetwork = {
  bridge: 'dockyard0',
  subnet: '10.245.0.0/24',
  gateway: '10.245.0.1',
  prefixLength: 24,
  cniNetworkName: 'dockyard',
} as const;

/** Held while a real node runs; also keeps the teardown script for a stale owner's leftovers. */
export const hostLockDir = '/run/dockyard-real-node';

/** The cgroup (in every v1 hierarchy) under which the kubelet puts all Pods. */
export const podCgroupRoot = 'dockyard-real-node';

/** Debian's packages put these here. */
export const hostTools = {
  containerd: '/usr/bin/containerd',
  ctr: '/usr/bin/ctr',
  runc: '/usr/sbin/runc',
  cniBinDir: '/usr/lib/cni',
  iptables: '/usr/sbin/iptables',
} as const;
