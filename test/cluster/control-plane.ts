import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { eventually } from '../support/eventually.ts';
import { CertificateAuthority, createServiceAccountSigningKey, fileSafe } from './certificates.ts';
import { createClusterObjects } from './cluster-objects.ts';
import {
  apiServerCommand,
  auditPolicy,
  controllerManagerCommand,
  etcdCommand,
  fakeNodeSelector,
  kubernetesServiceIp,
  kwokCommand,
  kwokConfiguration,
  schedulerCommand,
  type ClusterLayout,
  type ComponentCommand,
  type ComponentName,
} from './components.ts';
import { buildLocalImages } from './images/local-images.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { freeLoopbackPorts } from './ports.ts';
import { ManagedProcess, ProcessRegistry } from './processes.ts';
import { HostPathProvisioner } from './volume-provisioner.ts';
import { podNetwork } from './real-node/constants.ts';
import { acquireHostLock, releaseHostLock } from './real-node/host-lock.ts';
import { realNodeUnsupportedReason } from './real-node/host-support.ts';
import { RealNode } from './real-node/real-node.ts';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ControlPlaneOptions {
  /** Directory holding kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok. */
  binDir: string;
  nodeCount?: number;
  /**
   * Add one real node (containerd, kubelet, kube-proxy, CoreDNS) beside the kwok Nodes where this
   * machine allows it; otherwise go on with kwok only and say why in realNodeUnavailable.
   * 'tainted': only Pods that tolerate realNodeTaint run there (the test suite). 'preferred':
   * the kwok Nodes are tainted instead, so ordinary Pods run for real (`make dev`).
   */
  realNode?: 'tainted' | 'preferred';
  /** Where progress lines go; stderr by default. */
  log?: (message: string) => void;
}

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, and kwok playing the kubelet of a few fake Nodes. Every process and file it
 * makes is gone after stop(), or after the owning process dies (see ProcessRegistry).
 */
export class LocalControlPlane {
  readonly workDir: string;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly auditLogFile: string;
  readonly nodeNames: string[] = [];
  /** Seconds from start() to a cluster that schedules and runs Pods. */
  startupSeconds = 0;
  /** The real node, when one was asked for and this machine could run it. */
  realNode: RealNode | undefined;
  /** Why no real node runs although one was asked for. */
  realNodeUnavailable: string | undefined;
  /** Seconds the real node took from containerd's start to Ready (with CoreDNS and kube-proxy). */
  realNodeStartupSeconds = 0;

  private readonly layout: ClusterLayout;
  private readonly ca: CertificateAuthority;
  private readonly processes = new Map<ComponentName, ManagedProcess>();
  private readonly registry: ProcessRegistry;
  private provisioner: HostPathProvisioner | undefined;
  private holdsRealNodeLock = false;
  private readonly exitHandler = (): void => this.registry.killAllNow();

  private constructor(layout: ClusterLayout, ca: CertificateAuthority, kubeconfigPath: string) {
    this.layout = layout;
    this.ca = ca;
    this.workDir = layout.workDir;
    this.kubeconfigPath = kubeconfigPath;
    this.server = `https://${layout.apiServerAddress}:${layout.ports.apiServer}`;
    this.auditLogFile = layout.auditLogFile;
    this.registry = new ProcessRegistry(join(layout.workDir, 'process-groups'), layout.workDir);
  }

  static async start(options: ControlPlaneOptions): Promise<LocalControlPlane> {
    const started = performance.now();
    const log = options.log ?? ((message: string) => process.stderr.write(`[control-plane] ${message}\n`));
    const workDir = await mkdtemp(join(tmpdir(), 'dockyard-cluster-'));
    const pkiDir = join(workDir, 'pki');
    const logDir = join(workDir, 'logs');
    await Promise.all([mkdir(pkiDir), mkdir(logDir), mkdir(join(workDir, 'volumes'))]);

    const [etcdClient, etcdPeer, apiServer, controllerManager, scheduler, kwok] = await freeLoopbackPorts(6);
    let realNodeUnavailable: string | undefined;
    if (options.realNode !== undefined) {
      realNodeUnavailable = await realNodeUnsupportedReason(options.binDir);
      if (realNodeUnavailable === undefined) {
        const lock = await acquireHostLock();
        if (!lock.acquired) realNodeUnavailable = lock.reason;
      }
      if (realNodeUnavailable !== undefined) log(`no real node, kwok Nodes only: ${realNodeUnavailable}`);
    }
    const withRealNode = options.realNode !== undefined && realNodeUnavailable === undefined;
    const apiServerAddress = withRealNode ? podNetwork.gateway : '127.0.0.1';
    const ca = await CertificateAuthority.create(pkiDir);
    const [apiServerCert, serviceAccountKey, admin, controllerManagerClient, schedulerClient, kwokClient, kubeletClientCert] = await Promise.all([
      ca.issueServing('kube-apiserver', {
        dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
        ips: ['127.0.0.1', podNetwork.gateway, kubernetesServiceIp],
      }),
      createServiceAccountSigningKey(pkiDir),
      ca.issueClient('dockyard-test-admin', ['system:masters']),
      ca.issueClient('system:kube-controller-manager'),
      ca.issueClient('system:kube-scheduler'),
      // kwok writes Node and Pod status like a kubelet; it gets its own name so audit logs
      // can tell its writes from the operator's.
      ca.issueClient('kwok', ['system:masters']),
      ca.issueClient('kube-apiserver-kubelet-client', ['system:masters']),
    ]);
    const server = `https://${apiServerAddress}:${apiServer}`;
    const kubeconfig = (name: string, client: typeof admin, user: string) =>
      writeKubeconfig(join(workDir, `${name}.kubeconfig`), server, ca.certFile, client, user);
    const [adminKubeconfig, controllerManagerKubeconfig, schedulerKubeconfig, kwokKubeconfig] = await Promise.all([
      kubeconfig('admin', admin, 'dockyard-test-admin'),
      kubeconfig('controller-manager', controllerManagerClient, 'system:kube-controller-manager'),
      kubeconfig('scheduler', schedulerClient, 'system:kube-scheduler'),
      kubeconfig('kwok', kwokClient, 'kwok'),
    ]);

    const layout: ClusterLayout = {
      binDir: options.binDir,
      workDir,
      pkiDir,
      logDir,
      ports: { etcdClient: etcdClient!, etcdPeer: etcdPeer!, apiServer: apiServer!, controllerManager: controllerManager!, scheduler: scheduler!, kwok: kwok! },
      apiServerAddress,
      caFile: ca.certFile,
      caKeyFile: ca.keyFile,
      kubeletClientCert,
      apiServerCert,
      serviceAccountKey,
      kubeconfigs: { controllerManager: controllerManagerKubeconfig, scheduler: schedulerKubeconfig, kwok: kwokKubeconfig },
      auditPolicyFile: join(workDir, 'audit-policy.yaml'),
      auditLogFile: join(logDir, 'audit.log'),
      kwokConfigFile: join(workDir, 'kwok.yaml'),
    };
    await Promise.all([writeFile(layout.auditPolicyFile, auditPolicy), writeFile(layout.kwokConfigFile, kwokConfiguration)]);

    const plane = new LocalControlPlane(layout, ca, adminKubeconfig);
    plane.realNodeUnavailable = realNodeUnavailable;
    plane.holdsRealNodeLock = withRealNode;
    try {
      await plane.boot(options.nodeCount ?? 2, withRealNode ? options.realNode : undefined);
    } catch (error) {
      await plane.stop({ keepWorkDir: true });
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n(logs kept in ${logDir})`);
    }
    plane.startupSeconds = (performance.now() - started) / 1000;
    log(`control plane ready in ${plane.startupSeconds.toFixed(1)}s at ${plane.server} (KUBECONFIG=${plane.kubeconfigPath})`);
    return plane;
  }

  private async boot(nodeCount: number, realNode: 'tainted' | 'preferred' | undefined): Promise<void> {
    this.registry.armReaper();
    process.once('exit', this.exitHandler);
    // The bridge carries the apiserver's address, so it comes first.
    if (realNode !== undefined) this.realNode = await RealNode.prepareHost(join(this.workDir, 'node'), this.registry);
    const images = realNode !== undefined ? this.buildImages() : undefined;

    await this.startComponent('etcd');
    await this.startComponent('kube-apiserver');
    await Promise.all([this.startComponent('kube-controller-manager'), this.startComponent('kube-scheduler'), this.startComponent('kwok')]);

    const kubeConfig = this.kubeConfig();
    this.nodeNames.push(...(await createClusterObjects(kubeConfig, nodeCount, { taintFakeNodes: realNode === 'preferred' })));
    if (this.realNode !== undefined && images !== undefined) {
      const started = performance.now();
      await this.realNode.start({
        binDir: this.layout.binDir,
        logDir: this.layout.logDir,
        ca: this.ca,
        server: this.server,
        images: await images,
        kubeConfig,
        preferred: realNode === 'preferred',
      });
      this.realNodeStartupSeconds = (performance.now() - started) / 1000;
    }
    this.provisioner = new HostPathProvisioner(kubeConfig, join(this.workDir, 'volumes'));
    this.provisioner.start();

    const core = kubeConfig.makeApiClient(CoreV1Api);
    await eventually(
      async () => {
        const nodes = await core.listNode();
        const fake = nodes.items.filter((n) => n.metadata?.labels?.[fakeNodeSelector.key] === fakeNodeSelector.value);
        return fake.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === nodeCount;
      },
      { what: 'kwok to report every fake Node Ready', timeoutMs: 60_000 },
    );
    // Pods are admitted only once the ServiceAccount controller has made the default account.
    await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }).then(() => true), {
      what: 'the default ServiceAccount (kube-controller-manager running)',
      timeoutMs: 60_000,
    });
  }

  /** A client for the cluster as its administrator (system:masters). */
  kubeConfig(): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(this.kubeconfigPath);
    return kubeConfig;
  }

  /** A kubeconfig for another identity, for tests that need RBAC or audit attribution. */
  async kubeconfigFor(user: string, groups: string[] = []): Promise<string> {
    const client = await this.ca.issueClient(user, groups);
    return writeKubeconfig(join(this.workDir, `user-${fileSafe(user)}.kubeconfig`), this.server, this.ca.certFile, client, user);
  }

  componentCommand(name: ComponentName): ComponentCommand {
    switch (name) {
      case 'etcd':
        return etcdCommand(this.layout);
      case 'kube-apiserver':
        return apiServerCommand(this.layout);
      case 'kube-controller-manager':
        return controllerManagerCommand(this.layout);
      case 'kube-scheduler':
        return schedulerCommand(this.layout);
      case 'kwok':
        return kwokCommand(this.layout);
    }
  }

  /** Starts (or restarts) one component and waits until it reports healthy. */
  async startComponent(name: ComponentName): Promise<void> {
    let managed = this.processes.get(name);
    if (managed === undefined) {
      const { command, args } = this.componentCommand(name);
      managed = new ManagedProcess({ name, command, args, logFile: join(this.layout.logDir, `${name}.log`) }, this.registry);
      this.processes.set(name, managed);
    }
    managed.start();
    const process = managed;
    const exitedEarly = process.exited().then((code) => {
      throw new Error(`${name} exited with code ${code} during start-up:\n${process.logTail()}`);
    });
    await Promise.race([this.waitHealthy(name), exitedEarly]);
    exitedEarly.catch(() => undefined);
  }

  /** The process id of each running component, for measurements. */
  componentPids(): [ComponentName, number][] {
    return [...this.processes].flatMap(([name, managed]) =>
      managed.running && managed.pid !== undefined ? [[name, managed.pid] as [ComponentName, number]] : [],
    );
  }

  /** Stops one component, for tests of how the operator lives through an outage. */
  async stopComponent(name: ComponentName, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.processes.get(name)?.stop(signal);
  }

  private async waitHealthy(name: ComponentName): Promise<void> {
    const { ports } = this.layout;
    const timeoutMs = 60_000;
    switch (name) {
      case 'etcd':
        await eventually(async () => (await httpGet(`http://127.0.0.1:${ports.etcdClient}/health`)).body.includes('"health":"true"'), {
          what: 'etcd /health',
          timeoutMs,
        });
        return;
      case 'kube-apiserver':
        await eventually(async () => (await this.apiServerGet('/readyz')).status === 200, { what: 'kube-apiserver /readyz', timeoutMs });
        return;
      case 'kube-controller-manager':
        await eventually(async () => (await httpsGetInsecure(`https://127.0.0.1:${ports.controllerManager}/healthz`)).status === 200, {
          what: 'kube-controller-manager /healthz',
          timeoutMs,
        });
        return;
      case 'kube-scheduler':
        await eventually(async () => (await httpsGetInsecure(`https://127.0.0.1:${ports.scheduler}/healthz`)).status === 200, {
          what: 'kube-scheduler /healthz',
          timeoutMs,
        });
        return;
      case 'kwok':
        await eventually(async () => (await httpGet(`http://127.0.0.1:${ports.kwok}/healthz`)).status === 200, { what: 'kwok /healthz', timeoutMs });
        return;
    }
  }

  /** A GET against kube-apiserver as the administrator, outside any client library. */
  async apiServerGet(path: string): Promise<{ status: number; body: string }> {
    const admin = join(this.layout.pkiDir, 'client-dockyard-test-admin');
    const [ca, cert, key] = await Promise.all([readFile(this.layout.caFile), readFile(`${admin}.crt`), readFile(`${admin}.key`)]);
    return get(request, `${this.server}${path}`, { ca, cert, key });
  }

  /** The images the real node runs without pulling; Dockyard's only once `make build` has bundled it. */
  private buildImages() {
    const distDir = join(repositoryRoot, 'dist', 'dockyard');
    return buildLocalImages(join(this.workDir, 'images'), {
      binDir: this.layout.binDir,
      ...(existsSync(distDir) ? { distDir, nodeBinDir: dirname(process.execPath), packageJson: join(repositoryRoot, 'package.json') } : {}),
    });
  }

  async stop(options: { keepWorkDir?: boolean } = {}): Promise<void> {
    await this.provisioner?.stop();
    // The real node's processes go while the apiserver still answers; its host changes (the
    // bridge the apiserver listens on among them) once the control plane has stopped.
    await this.realNode?.stopComponents();
    // Reverse start order: the components that talk to the apiserver go first, etcd last.
    for (const name of ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'] as const) {
      await this.processes.get(name)?.stop();
    }
    if (this.realNode !== undefined) await this.realNode.undoHostChanges();
    else if (this.holdsRealNodeLock) await releaseHostLock();
    this.registry.disarmReaper();
    process.removeListener('exit', this.exitHandler);
    if (!options.keepWorkDir) await rm(this.workDir, { recursive: true, force: true });
  }
}

type Requester = typeof request | typeof httpRequest;

function get(requester: Requester, url: string, tls: Record<string, unknown> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = requester(url, { method: 'GET', timeout: 5_000, ...tls }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return get(httpRequest, url);
}

/** Health endpoints of controller-manager and scheduler serve self-signed certificates. */
function httpsGetInsecure(url: string): Promise<{ status: number; body: string }> {
  return get(request, url, { rejectUnauthorized: false });
}
