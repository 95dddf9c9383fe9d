import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { hostTools } from './constants.ts';

/** The binaries build-binaries.sh adds for the real node. */
export const realNodeBinaries = ['kubelet', 'kube-proxy', 'coredns'] as const;

/**
 * Why this machine cannot run the real node, or undefined when it can: it needs root (network,
 * mounts, cgroups), Debian's containerd, runc, CNI plugins, iptables and busybox-static (which
 * `make tools` installs when it can), cgroup v1 or v2 mounted, and the binaries we build.
 */
export async function realNodeUnsupportedReason(binDir: string): Promise<string | undefined> {
  if (process.platform !== 'linux') return `the real node needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'the real node needs root (it creates a bridge, iptables rules, mounts and cgroups)';
  const required = [
    hostTools.containerd,
    hostTools.ctr,
    hostTools.runc,
    hostTools.iptables,
    '/bin/busybox',
    ...['bridge', 'host-local', 'portmap', 'loopback'].map((plugin) => join(hostTools.cniBinDir, plugin)),
    ...realNodeBinaries.map((binary) => join(binDir, binary)),
  ];
  const missing: string[] = [];
  for (const path of required) {
    await access(path, constants.X_OK).catch(() => missing.push(path));
  }
  if (missing.length > 0) {
    return `missing ${missing.join(', ')} (make tools installs the Debian packages; build-binaries.sh builds kubelet, kube-proxy and coredns)`;
  }
  const cgroups = await access('/sys/fs/cgroup/memory', constants.W_OK).then(
    () => true,
    () =>
      access('/sys/fs/cgroup/cgroup.controllers').then(
        () => true,
        () => false,
      ),
  );
  if (!cgroups) return 'no writable cgroup hierarchy under /sys/fs/cgroup';
  return undefined;
}
