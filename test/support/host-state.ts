import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { hostLockDir, podCgroupRoot, podNetwork } from '../cluster/real-node/constants.ts';
import { touchedSysctls } from '../cluster/real-node/host-teardown.ts';

const run = promisify(execFile);

/**
 * What a real node can leave on the host, read from the host itself (not from the launcher's own
 * bookkeeping): two snapshots around a run must be equal, or the teardown leaked something.
 */
export interface HostSnapshot {
  bridge: boolean;
  iptablesChains: string[];
  mounts: string[];
  netns: string[];
  cgroups: string[];
  lockDir: boolean;
  processes: string[];
  sysctls: Record<string, string>;
  directories: string[];
}

async function chains(tool: string): Promise<string[]> {
  const { stdout } = await run(`${tool}-save`).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .filter((line) => /^:(KUBE-|CNI-)/.test(line))
    .map((line) => `${tool} ${line.slice(1).split(' ')[0]}`)
    .sort();
}

/** Processes whose command line names one of the paths (our node's directories and socket). */
async function processesMentioning(fragments: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (fragments.some((fragment) => cmdline.includes(fragment))) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return found;
}

/**
 * `workDir` is the control plane's directory (the node's lives inside it): processes and mounts
 * that mention it are ours. Other agents' control planes on the machine have their own.
 */
export async function hostSnapshot(workDir: string): Promise<HostSnapshot> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const cgroupDirs = existsSync('/sys/fs/cgroup') ? await readdir('/sys/fs/cgroup') : [];
  const sysctls: Record<string, string> = {};
  for (const path of touchedSysctls) {
    const value = await readFile(`/proc/sys/${path}`, 'utf8').catch(() => undefined);
    if (value !== undefined) sysctls[path] = value.trim();
  }
  return {
    bridge: existsSync(`/sys/class/net/${podNetwork.bridge}`),
    iptablesChains: [...(await chains('iptables')), ...(await chains('ip6tables'))],
    mounts: mountinfo
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((mount) => mount.startsWith(workDir) || mount.startsWith('/run/netns/cni-'))
      .sort(),
    netns: existsSync('/run/netns') ? (await readdir('/run/netns')).sort() : [],
    cgroups: [
      existsSync(`/sys/fs/cgroup/${podCgroupRoot}`) ? podCgroupRoot : '',
      ...cgroupDirs.filter((dir) => existsSync(`/sys/fs/cgroup/${dir}/${podCgroupRoot}`)),
    ].filter(Boolean),
    lockDir: existsSync(hostLockDir),
    processes: await processesMentioning([workDir]),
    sysctls,
    directories: [workDir, '/var/log/containers', '/run/containerd', '/var/lib/cni'].filter((dir) => existsSync(dir)),
  };
}
