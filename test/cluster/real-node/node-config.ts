import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hostTools, podCgroupRoot, podNetwork, realNodeName, realNodeTaint } from './constants.ts';

/** Paths and ports of one real node, fixed before any of its processes starts. */
export interface NodeLayout {
  nodeDir: string;
  containerdSocket: string;
  caFile: string;
  kubeletKubeconfig: string;
  kubeProxyKubeconfig: string;
  corednsKubeconfig: string;
  ports: { kubeletHealthz: number; kubeProxyHealthz: number; kubeProxyMetrics: number; corednsHealth: number; corednsReady: number };
  pauseImage: string;
  /** Register with realNodeTaint (the test suite), or untainted (`make dev`, kwok Nodes tainted). */
  tainted: boolean;
}

export const nodePaths = (nodeDir: string) => ({
  containerdConfig: join(nodeDir, 'containerd.toml'),
  containerdRoot: join(nodeDir, 'containerd', 'root'),
  containerdState: join(nodeDir, 'containerd', 'state'),
  containerdResolvConf: join(nodeDir, 'containerd-resolv.conf'),
  containerdCertsDir: join(nodeDir, 'containerd', 'certs.d'),
  runcRoot: join(nodeDir, 'runc'),
  cniConfDir: join(nodeDir, 'cni', 'net.d'),
  cniIpamDir: join(nodeDir, 'cni', 'ipam'),
  kubeletRoot: join(nodeDir, 'kubelet'),
  kubeletConfig: join(nodeDir, 'kubelet.yaml'),
  podLogs: join(nodeDir, 'pod-logs'),
  kubeProxyConfig: join(nodeDir, 'kube-proxy.yaml'),
  corefile: join(nodeDir, 'Corefile'),
});

/**
 * containerd's CRI on directories and a socket of its own, so it never meets a containerd the
 * machine may run. restrict_oom_score_adj: this VM withholds CAP_SYS_RESOURCE, and runc then
 * fails every container with "can't get final child's PID from pipe: EOF".
 */
export function containerdConfig(layout: NodeLayout): string {
  const paths = nodePaths(layout.nodeDir);
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = ${JSON.stringify(paths.containerdRoot)}
state = ${JSON.stringify(paths.containerdState)}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${JSON.stringify(layout.containerdSocket)}

[ttrpc]
  address = ${JSON.stringify(`${layout.containerdSocket}.ttrpc`)}

[${cri}]
  sandbox_image = ${JSON.stringify(layout.pauseImage)}
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  BinaryName = ${JSON.stringify(hostTools.runc)}
  Root = ${JSON.stringify(paths.runcRoot)}
  SystemdCgroup = false

[${cri}.registry]
  config_path = ${JSON.stringify(paths.containerdCertsDir)}

[${cri}.cni]
  bin_dir = ${JSON.stringify(hostTools.cniBinDir)}
  conf_dir = ${JSON.stringify(paths.cniConfDir)}
  max_conf_num = 1
`;
}

/** One bridge, host-local addresses, and portmap for hostPort (the node proxy's). */
export function cniConfig(nodeDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: podNetwork.cniNetworkName,
      plugins: [
        {
          type: 'bridge',
          bridge: podNetwork.bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: podNetwork.subnet, gateway: podNetwork.gateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: nodePaths(nodeDir).cniIpamDir,
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/**
 * The kubelet for cgroup v1 with the cgroupfs driver (this machine has no systemd), every Pod
 * under one cgroup we can remove, and image GC that never fires: the local images were imported,
 * not pulled, so a collected one could never come back.
 */
export function kubeletConfig(layout: NodeLayout): string {
  const paths = nodePaths(layout.nodeDir);
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: podNetwork.gateway,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: layout.ports.kubeletHealthz,
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${podCgroupRoot}`,
    failSwapOn: false,
    failCgroupV1: false,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: layout.caFile } },
    authorization: { mode: 'Webhook' },
    clusterDomain: 'cluster.local',
    clusterDNS: [podNetwork.gateway],
    // Pods get cluster DNS only; the host's resolver is CoreDNS's upstream.
    resolvConf: '',
    registerWithTaints: layout.tainted ? [realNodeTaint] : [],
    podLogsDir: paths.podLogs,
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // A shared development machine's disk is often fuller than the defaults allow.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    serializeImagePulls: false,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    nodeStatusReportFrequency: '10s',
    maxPods: 50,
  });
}

export function kubeletArgs(layout: NodeLayout): string[] {
  const paths = nodePaths(layout.nodeDir);
  return [
    `--config=${paths.kubeletConfig}`,
    `--kubeconfig=${layout.kubeletKubeconfig}`,
    `--root-dir=${paths.kubeletRoot}`,
    `--hostname-override=${realNodeName}`,
    `--node-ip=${podNetwork.gateway}`,
    '--node-labels=dockyard.dev/real-node=true',
    '--v=1',
  ];
}

/** iptables mode, leaving conntrack sysctls alone (a shared host's, not ours to tune). */
export function kubeProxyConfig(layout: NodeLayout): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: layout.kubeProxyKubeconfig },
    mode: 'iptables',
    hostnameOverride: realNodeName,
    clusterCIDR: podNetwork.subnet,
    bindAddress: podNetwork.gateway,
    healthzBindAddress: `127.0.0.1:${layout.ports.kubeProxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${layout.ports.kubeProxyMetrics}`,
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { localhostNodePorts: false },
    // NodePorts on the bridge only, never on the machine's network.
    nodePortAddresses: [`${podNetwork.gateway}/32`],
  });
}

/** cluster.local from the apiserver; everything else from the host's resolver. */
export function corefile(layout: NodeLayout): string {
  return `.:53 {
  bind ${podNetwork.gateway}
  errors
  health 127.0.0.1:${layout.ports.corednsHealth}
  ready 127.0.0.1:${layout.ports.corednsReady}
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig ${layout.corednsKubeconfig}
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
  }
  forward . /etc/resolv.conf
  cache 30
  loadbalance
}
`;
}

/**
 * Lets the node's containerd pull from a registry over plain HTTP (a registry Service without
 * TLS), as a cluster admin configures nodes for an in-cluster registry: hosts.toml in containerd's
 * config_path, read at each pull. `host` is host:port as image references name it.
 */
export async function allowPlainHttpPulls(nodeDir: string, host: string): Promise<void> {
  const dir = join(nodePaths(nodeDir).containerdCertsDir, host);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'hosts.toml'), `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`);
}
