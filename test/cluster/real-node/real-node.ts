import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { eventually } from '../../support/eventually.ts';
import type { CertificateAuthority } from '../certificates.ts';
import type { BuiltImage } from '../images/local-images.ts';
import { localImageNames } from '../images/local-images.ts';
import { writeKubeconfig } from '../kubeconfig.ts';
import { freeLoopbackPorts } from '../ports.ts';
import { ManagedProcess, type ProcessRegistry } from '../processes.ts';
import { importImages } from './image-import.ts';
import { hostTools, podCgroupRoot, podNetwork, realNodeName } from './constants.ts';
import { releaseHostLock } from './host-lock.ts';
import { hostDirsTouched, installTeardown, teardownScriptPath, touchedSysctls, type HostRecord } from './host-teardown.ts';
import {
  allowPlainHttpPulls,
  containerdConfig,
  corefile,
  cniConfig,
  kubeletArgs,
  kubeletConfig,
  kubeProxyConfig,
  nodePaths,
  type NodeLayout,
} from './node-config.ts';

const run = promisify(execFile);

export interface RealNodeStart {
  binDir: string;
  logDir: string;
  ca: CertificateAuthority;
  /** The apiserver as the node reaches it: https://<bridge gateway>:<port>. */
  server: string;
  /** Image archives to import into the node's containerd (the pause image at least). */
  images: BuiltImage[];
  kubeConfig: KubeConfig;
  /** Untainted, for `make dev`: see ControlPlaneOptions.realNode. */
  preferred: boolean;
}

async function readSysctl(path: string): Promise<string | undefined> {
  return readFile(join('/proc/sys', path), 'utf8').then(
    (value) => value.trim(),
    () => undefined,
  );
}

async function writeSysctl(path: string, value: string): Promise<void> {
  await writeFile(join('/proc/sys', path), value);
}

/** The cgroup hierarchies the kubelet's cgroup root must exist in: every v1 controller, or v2's one. */
async function cgroupHierarchies(): Promise<string[]> {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup'];
  const entries = await readdir('/sys/fs/cgroup', { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && !entry.isSymbolicLink() && existsSync(join('/sys/fs/cgroup', entry.name, 'cgroup.procs')))
    .map((entry) => join('/sys/fs/cgroup', entry.name));
}

/**
 * One real Kubernetes node on this machine: containerd (its own root, state and socket), runc,
 * the CNI bridge, kubelet, kube-proxy in iptables mode, and CoreDNS for cluster.local, all host
 * processes. prepareHost() runs before the apiserver starts (the apiserver listens on the
 * bridge's gateway address, where Pods reach it); start() once the apiserver is up. Whatever it
 * changes on the host is undone by one generated script (host-teardown.ts): on stop(), by the
 * ProcessRegistry's reaper after a SIGKILL, or by the next run that finds the lock stale.
 */
export class RealNode {
  readonly name = realNodeName;
  readonly nodeDir: string;
  readonly containerdSocket: string;
  private readonly registry: ProcessRegistry;
  private readonly processes: ManagedProcess[] = [];

  private constructor(nodeDir: string, registry: ProcessRegistry) {
    this.nodeDir = nodeDir;
    this.containerdSocket = join(nodeDir, 'containerd.sock');
    this.registry = registry;
  }

  /** Call with the host lock held (acquireHostLock). */
  static async prepareHost(nodeDir: string, registry: ProcessRegistry): Promise<RealNode> {
    const node = new RealNode(nodeDir, registry);
    const paths = nodePaths(nodeDir);
    await Promise.all(
      [paths.containerdRoot, paths.containerdState, paths.containerdCertsDir, paths.cniConfDir, paths.cniIpamDir, paths.kubeletRoot, paths.podLogs].map((dir) =>
        mkdir(dir, { recursive: true }),
      ),
    );
    // br_netfilter makes Service traffic between two Pods on the bridge pass kube-proxy's rules.
    await run('modprobe', ['br_netfilter']).catch(() => undefined);
    const sysctls: [string, string][] = [];
    for (const path of touchedSysctls) {
      const value = await readSysctl(path);
      if (value !== undefined) sysctls.push([path, value]);
    }
    const netnsBefore = existsSync('/run/netns') ? await readdir('/run/netns') : [];
    const record: HostRecord = {
      nodeDir,
      containerdSocket: node.containerdSocket,
      sysctls,
      netnsBefore,
      createdDirs: hostDirsTouched.filter((dir) => !existsSync(dir)),
    };
    // The script exists, and the reaper knows it, before the first change it undoes.
    await installTeardown(record);
    registry.addCleanupScript(teardownScriptPath);
    try {
      await node.changeHost();
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  private async changeHost(): Promise<void> {
    // A shared mount at nodeDir: what the kubelet mounts below it propagates into containerd's
    // mount namespace. The teardown unmounts it with everything below.
    await run('mount', ['--bind', this.nodeDir, this.nodeDir]);
    await run('mount', ['--make-rshared', this.nodeDir]);
    await writeSysctl('net/ipv4/ip_forward', '1');
    if (existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) await writeSysctl('net/bridge/bridge-nf-call-iptables', '1');
    await run('ip', ['link', 'add', podNetwork.bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${podNetwork.gateway}/${podNetwork.prefixLength}`, 'dev', podNetwork.bridge]);
    await run('ip', ['link', 'set', podNetwork.bridge, 'up']);
    for (const hierarchy of await cgroupHierarchies()) {
      const root = join(hierarchy, podCgroupRoot);
      await mkdir(root, { recursive: true });
      // A new v1 cpuset cgroup has no CPUs or memory nodes, and no process can join it until it has.
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if (existsSync(join(hierarchy, file))) await copyFile(join(hierarchy, file), join(root, file)).catch(() => undefined);
      }
    }
  }

  async start(inputs: RealNodeStart): Promise<void> {
    const paths = nodePaths(this.nodeDir);
    const [kubeletHealthz, kubeProxyHealthz, kubeProxyMetrics, corednsHealth, corednsReady] = await freeLoopbackPorts(5);
    const [nodeClient, proxyClient, dnsClient] = await Promise.all([
      inputs.ca.issueClient(`system:node:${realNodeName}`, ['system:nodes']),
      inputs.ca.issueClient('system:kube-proxy'),
      // Cluster DNS reads Services, EndpointSlices, Namespaces and Pods; a test cluster's DNS
      // server gets no RBAC of its own to maintain.
      inputs.ca.issueClient('coredns', ['system:masters']),
    ]);
    const kubeconfig = (name: string, client: typeof nodeClient, user: string) =>
      writeKubeconfig(join(this.nodeDir, `${name}.kubeconfig`), inputs.server, inputs.ca.certFile, client, user);
    const layout: NodeLayout = {
      nodeDir: this.nodeDir,
      containerdSocket: this.containerdSocket,
      caFile: inputs.ca.certFile,
      kubeletKubeconfig: await kubeconfig('kubelet', nodeClient, `system:node:${realNodeName}`),
      kubeProxyKubeconfig: await kubeconfig('kube-proxy', proxyClient, 'system:kube-proxy'),
      corednsKubeconfig: await kubeconfig('coredns', dnsClient, 'coredns'),
      ports: {
        kubeletHealthz: kubeletHealthz!,
        kubeProxyHealthz: kubeProxyHealthz!,
        kubeProxyMetrics: kubeProxyMetrics!,
        corednsHealth: corednsHealth!,
        corednsReady: corednsReady!,
      },
      pauseImage: localImageNames.pause,
      tainted: !inputs.preferred,
    };
    await Promise.all([
      writeFile(paths.containerdConfig, containerdConfig(layout)),
      writeFile(join(paths.cniConfDir, '10-dockyard.conflist'), cniConfig(this.nodeDir)),
      writeFile(paths.kubeletConfig, kubeletConfig(layout)),
      writeFile(paths.kubeProxyConfig, kubeProxyConfig(layout)),
      writeFile(paths.corefile, corefile(layout)),
    ]);

    // containerd resolves the registries it pulls from with cluster DNS, so Pods can use images by
    // a registry Service's name (main-registry.team-a.svc:5000/...), as Dockyard's pull Secrets
    // name them: it runs in a mount namespace of its own whose /etc/resolv.conf points at
    // CoreDNS. The host's resolver stays as it is. Mounts the kubelet makes later under nodeDir
    // (Secret volumes) reach containerd through the shared bind mount changeHost() put there.
    await writeFile(paths.containerdResolvConf, `nameserver ${podNetwork.gateway}\nsearch cluster.local\noptions ndots:5\n`);
    const containerd = this.spawn(
      'containerd',
      'unshare',
      [
        '--mount',
        '--propagation',
        'slave',
        '--',
        'bash',
        '-c',
        'mount --bind "$0" /etc/resolv.conf && exec "$@"',
        paths.containerdResolvConf,
        hostTools.containerd,
        '--config',
        paths.containerdConfig,
      ],
      inputs.logDir,
    );
    await this.waitFor(
      containerd,
      () => run(hostTools.ctr, ['--address', this.containerdSocket, 'version']).then(() => true),
      'containerd to serve its socket',
    );
    await this.importImages(inputs.images);

    const kubelet = this.spawn('kubelet', join(inputs.binDir, 'kubelet'), kubeletArgs(layout), inputs.logDir);
    const kubeProxy = this.spawn('kube-proxy', join(inputs.binDir, 'kube-proxy'), [`--config=${paths.kubeProxyConfig}`, '--v=1'], inputs.logDir);
    const coredns = this.spawn('coredns', join(inputs.binDir, 'coredns'), ['-conf', paths.corefile], inputs.logDir);
    const core = inputs.kubeConfig.makeApiClient(CoreV1Api);
    await Promise.all([
      this.waitFor(
        kubelet,
        async () => (await core.readNode({ name: realNodeName })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        'the real node to report Ready',
      ),
      this.waitFor(kubeProxy, async () => (await httpStatus(`http://127.0.0.1:${layout.ports.kubeProxyHealthz}/healthz`)) === 200, 'kube-proxy /healthz'),
      this.waitFor(coredns, async () => (await httpStatus(`http://127.0.0.1:${layout.ports.corednsReady}/ready`)) === 200, 'CoreDNS /ready'),
    ]);
  }

  /** Imports OCI archives into the node's containerd, where the kubelet finds them without a pull. */
  async importImages(images: BuiltImage[]): Promise<void> {
    await importImages(this.containerdSocket, images);
  }

  /** See allowPlainHttpPulls. */
  async allowPlainHttp(host: string): Promise<void> {
    await allowPlainHttpPulls(this.nodeDir, host);
  }

  /** The process id of each running node component, for measurements. */
  componentPids(): [string, number][] {
    return this.processes.flatMap((managed) => (managed.running && managed.pid !== undefined ? [[managed.spec.name, managed.pid] as [string, number]] : []));
  }

  async stop(): Promise<void> {
    await this.stopComponents();
    await this.undoHostChanges();
  }

  /**
   * The node's processes and its Pods'. The node is thrown away, so nothing needs a graceful stop: the kubelet,
   * kube-proxy and CoreDNS together (the kubelet gone, nothing restarts what the teardown kills),
   * containerd last, each given a moment before SIGKILL.
   */
  async stopComponents(): Promise<void> {
    const [containerd, ...rest] = this.processes;
    await Promise.all(rest.map((managed) => managed.stop('SIGTERM', 2_000)));
    await containerd?.stop('SIGTERM', 2_000);
    // The Pods too: an operator Pod's watches would otherwise hold the apiserver's shutdown.
    await run('bash', [teardownScriptPath, '--processes-only']).catch(() => undefined);
  }

  /**
   * Everything else it changed on the host, the bridge and its address included: so after the
   * apiserver that listens there has stopped, or that waits for connections it cannot close.
   */
  async undoHostChanges(): Promise<void> {
    await run('bash', [teardownScriptPath]).catch(() => undefined);
    this.registry.removeCleanupScript(teardownScriptPath);
    await releaseHostLock();
  }

  private spawn(name: string, command: string, args: string[], logDir: string): ManagedProcess {
    const managed = new ManagedProcess({ name, command, args, logFile: join(logDir, `${name}.log`) }, this.registry);
    managed.start();
    this.processes.push(managed);
    return managed;
  }

  private async waitFor(managed: ManagedProcess, probe: () => Promise<boolean | undefined>, what: string): Promise<void> {
    const exitedEarly = managed.exited().then((code) => {
      throw new Error(`${managed.spec.name} exited with code ${code} during start-up:\n${managed.logTail()}`);
    });
    await Promise.race([eventually(probe, { what, timeoutMs: 120_000, intervalMs: 500 }), exitedEarly]);
    exitedEarly.catch(() => undefined);
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
