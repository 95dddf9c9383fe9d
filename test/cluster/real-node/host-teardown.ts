import { copyFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostLockDir, podCgroupRoot, podNetwork } from './constants.ts';

/** What the host looked like before the real node started, so the teardown can put it back. */
export interface HostRecord {
  /** The real node's own directory (containerd root and state, kubelet root, CNI, logs). */
  nodeDir: string;
  containerdSocket: string;
  /** sysctl files under /proc/sys, with their values before we (or the kubelet) changed them. */
  sysctls: [path: string, value: string][];
  /** Network namespaces that existed before: containerd names its own /run/netns/cni-*. */
  netnsBefore: string[];
  /** Host directories the node writes into that did not exist before, and go after. */
  createdDirs: string[];
}

/**
 * sysctls the node changes: we turn on forwarding and bridge netfilter (Service traffic between
 * two Pods on the bridge), the kubelet sets its kernel tunables, kube-proxy route_localnet.
 */
export const touchedSysctls = [
  'net/ipv4/ip_forward',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
  'net/ipv4/conf/all/route_localnet',
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];

/** Host directories outside nodeDir that the kubelet, containerd or the CNI plugins create. */
export const hostDirsTouched = ['/var/log/containers', '/run/containerd', '/var/lib/cni', '/run/netns'];

/** The script that undoes one real node, kept in the lock directory while the node runs. */
export const teardownScriptPath = join(hostLockDir, 'teardown.sh');

const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** record.env: the variables teardown.sh reads (sourced by bash, so every value is quoted). */
export function recordEnv(record: HostRecord): string {
  const variables: Record<string, string> = {
    node_dir: record.nodeDir,
    socket: record.containerdSocket,
    bridge: podNetwork.bridge,
    cgroup_root: podCgroupRoot,
    cni_network: podNetwork.cniNetworkName,
    lock_dir: hostLockDir,
    netns_before: record.netnsBefore.join(' '),
    sysctls: record.sysctls.map(([path, value]) => `${path}=${value.replaceAll(/\s+/g, '\t')}`).join(' '),
    created_dirs: record.createdDirs.join(' '),
  };
  return `${Object.entries(variables)
    .map(([name, value]) => `${name}=${quote(value)}`)
    .join('\n')}\n`;
}

/**
 * Puts teardown.sh and its record into the lock directory. A copy, not a reference into the
 * repository: the reaper and the next run must find it even if this checkout has changed.
 */
export async function installTeardown(record: HostRecord): Promise<void> {
  await writeFile(join(hostLockDir, 'record.env'), recordEnv(record));
  await copyFile(join(dirname(fileURLToPath(import.meta.url)), 'teardown.sh'), teardownScriptPath);
}
