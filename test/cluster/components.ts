import { join } from 'node:path';

/** Everything a component's command line is built from: paths and ports fixed at start-up. */
export interface ClusterLayout {
  binDir: string;
  workDir: string;
  pkiDir: string;
  logDir: string;
  ports: {
    etcdClient: number;
    etcdPeer: number;
    apiServer: number;
    controllerManager: number;
    scheduler: number;
    kwok: number;
  };
  /** Where kube-apiserver listens: loopback, or with a real node the Pod bridge's gateway, which Pods can reach. */
  apiServerAddress: string;
  caFile: string;
  caKeyFile: string;
  /** The apiserver's client certificate towards kubelets (logs, exec, port-forward). */
  kubeletClientCert: { certFile: string; keyFile: string };
  apiServerCert: { certFile: string; keyFile: string };
  serviceAccountKey: { privateKeyFile: string; publicKeyFile: string };
  kubeconfigs: { controllerManager: string; scheduler: string; kwok: string };
  auditPolicyFile: string;
  auditLogFile: string;
  kwokConfigFile: string;
}

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

export interface ComponentCommand {
  name: ComponentName;
  command: string;
  args: string[];
}

export const serviceClusterIpRange = '10.96.0.0/16';
export const kubernetesServiceIp = '10.96.0.1';

export function etcdCommand(layout: ClusterLayout): ComponentCommand {
  const client = `http://127.0.0.1:${layout.ports.etcdClient}`;
  const peer = `http://127.0.0.1:${layout.ports.etcdPeer}`;
  return {
    name: 'etcd',
    command: join(layout.binDir, 'etcd'),
    args: [
      '--name=dockyard-test',
      `--data-dir=${join(layout.workDir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=dockyard-test=${peer}`,
      // A test cluster is thrown away: durability costs seconds per test run on slow disks.
      '--unsafe-no-fsync=true',
      '--quota-backend-bytes=4294967296',
      '--log-level=warn',
    ],
  };
}

export function apiServerCommand(layout: ClusterLayout): ComponentCommand {
  return {
    name: 'kube-apiserver',
    command: join(layout.binDir, 'kube-apiserver'),
    args: [
      `--etcd-servers=http://127.0.0.1:${layout.ports.etcdClient}`,
      `--bind-address=${layout.apiServerAddress}`,
      // The `kubernetes` Service's endpoint: in-cluster clients on the real node reach it here.
      `--advertise-address=${layout.apiServerAddress}`,
      `--secure-port=${layout.ports.apiServer}`,
      `--tls-cert-file=${layout.apiServerCert.certFile}`,
      `--tls-private-key-file=${layout.apiServerCert.keyFile}`,
      `--client-ca-file=${layout.caFile}`,
      `--service-account-key-file=${layout.serviceAccountKey.publicKeyFile}`,
      `--service-account-signing-key-file=${layout.serviceAccountKey.privateKeyFile}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      `--kubelet-client-certificate=${layout.kubeletClientCert.certFile}`,
      `--kubelet-client-key=${layout.kubeletClientCert.keyFile}`,
      // The real node's name resolves nowhere; its InternalIP (the bridge gateway) does.
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      // Writes are audited with their user, so tests can attribute requests to one identity.
      `--audit-policy-file=${layout.auditPolicyFile}`,
      `--audit-log-path=${layout.auditLogFile}`,
      '--audit-log-maxsize=200',
      `--cert-dir=${join(layout.pkiDir, 'apiserver')}`,
      '--profiling=false',
      '--v=1',
    ],
  };
}

/**
 * Flags controller-manager and scheduler share: their client identity, and a health endpoint on
 * loopback with a self-signed certificate, single instance (no leader election to wait for).
 */
function controlLoopFlags(kubeconfig: string, port: number, certDir: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--authentication-skip-lookup=true',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${certDir}`,
    '--leader-elect=false',
    '--profiling=false',
    '--v=1',
  ];
}

export function controllerManagerCommand(layout: ClusterLayout): ComponentCommand {
  return {
    name: 'kube-controller-manager',
    command: join(layout.binDir, 'kube-controller-manager'),
    args: [
      ...controlLoopFlags(layout.kubeconfigs.controllerManager, layout.ports.controllerManager, join(layout.pkiDir, 'controller-manager')),
      '--controllers=*',
      // Each controller acts as its own service account, as in a real cluster, so audit entries
      // name the controller (system:serviceaccount:kube-system:deployment-controller, ...).
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${layout.serviceAccountKey.privateKeyFile}`,
      `--root-ca-file=${layout.caFile}`,
      `--cluster-signing-cert-file=${layout.caFile}`,
      `--cluster-signing-key-file=${layout.caKeyFile}`,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      '--cluster-name=dockyard-test',
    ],
  };
}

export function schedulerCommand(layout: ClusterLayout): ComponentCommand {
  return {
    name: 'kube-scheduler',
    command: join(layout.binDir, 'kube-scheduler'),
    args: controlLoopFlags(layout.kubeconfigs.scheduler, layout.ports.scheduler, join(layout.pkiDir, 'scheduler')),
  };
}

/** The label that marks the Nodes kwok pretends to be the kubelet of. */
export const fakeNodeSelector = { key: 'type', value: 'kwok' };

export function kwokCommand(layout: ClusterLayout): ComponentCommand {
  return {
    name: 'kwok',
    command: join(layout.binDir, 'kwok'),
    args: [
      `--kubeconfig=${layout.kubeconfigs.kwok}`,
      // An explicit config keeps a developer's ~/.kwok/kwok.yaml out of our tests.
      `--config=${layout.kwokConfigFile}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-label-selector=${fakeNodeSelector.key}=${fakeNodeSelector.value}`,
      '--cidr=10.244.0.1/16',
      '--node-ip=10.240.0.10',
      `--server-address=127.0.0.1:${layout.ports.kwok}`,
      // Renew each fake Node's Lease like a kubelet. Without it kwok reports Node status once and
      // never again, so every ~55 s the node lifecycle controller marks the Nodes Unknown and the
      // Pods NotReady until kwok patches them back, churning everything that watches Pods.
      '--node-lease-duration-seconds=40',
    ],
  };
}

/** kwok's options, with no Stage documents: kwok then uses its built-in fast node and pod stages. */
export const kwokConfiguration = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options: {}
`;

/** Audit every write at Metadata level (who, what, when), and nothing else. */
export const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    verbs: [get, list, watch]
  - level: Metadata
`;
