import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistrySpec } from '../../src/api/v1alpha1/registry.ts';
import { authServerArgs, type AuthServerOptions } from '../../src/auth-server/options.ts';
import { authServerOptionsFor } from '../../src/controllers/registry/auth-server-options.ts';
import { notificationEndpointsYaml, registryEnvironment, renderRegistryConfig, type NotificationEndpoint } from '../../src/controllers/registry/config.ts';
import { childNames } from '../../src/controllers/common/registry-children.ts';
import { authSecretKeys } from '../../src/registry-auth/pod-contract.ts';
import { authSecretData, ensureAuthMaterial } from '../../src/registry-auth/auth-secret.ts';
import { planCredentials, type CredentialPlan } from '../../src/registry-auth/credential-plan.ts';
import { serializeIdentities } from '../../src/registry-auth/identities.ts';
import { serializeWriteGate, type WriteGate } from '../../src/registry-auth/write-gate.ts';
import { freeLoopbackPorts } from '../cluster/ports.ts';
import { ManagedProcess, ProcessRegistry } from '../cluster/processes.ts';
import { eventually } from '../support/eventually.ts';
import { decodeSecretData, SecretVolume } from '../support/secret-volume.ts';
import { LocalRegistry, type RegistryFlavor } from './local-registry.ts';

const mainModule = join(import.meta.dirname, '../../src/main.ts');

export interface DockyardRegistryOptions {
  flavor: RegistryFlavor;
  binDir: string;
  spec: RegistrySpec;
  namespace: string;
  name: string;
  /** The credentials to start with, as the operator's planCredentials() made them. */
  credentials: CredentialPlan;
  notifications?: NotificationEndpoint;
  /**
   * The user's Secrets the spec names (S3 or proxy credentials), by name: key to value. The
   * registry's env takes them from here, as the kubelet takes them from the Secrets.
   */
  userSecrets?: Record<string, Record<string, string>>;
  /**
   * The auth Secret of another DockyardRegistry: two registries with one auth Secret are two
   * replicas of one Registry (same http.secret, same token signing key).
   */
  sharedAuthSecret?: Record<string, string>;
  /** A filled storage directory to start from (a copy of it), as LocalRegistry's seedStorageFrom. */
  seedStorageFrom?: string;
  /** Set over the rendered env, as a variable added to the registry container would be (benchmarks quiet its log with REGISTRY_LOG_LEVEL). */
  extraEnv?: Record<string, string>;
}

export interface RunningAuthServer {
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  process: ManagedProcess;
}

/**
 * A registry as Dockyard runs it, on loopback instead of in a Pod: the real distribution binary
 * with the rendered config.yml and env, and real `dockyard auth-server` processes in front, fed
 * from files laid out like the Pod's Secret volumes. Only paths and ports differ from the Pod.
 */
export class DockyardRegistry {
  readonly registry: LocalRegistry;
  /** The auth Secret, mounted the way kubelet mounts it. */
  readonly authVolume: SecretVolume;
  private readonly workDir: string;
  private readonly processes: ProcessRegistry;
  private readonly options: DockyardRegistryOptions;
  private authSecret: Record<string, string>;
  private readonly authServers: RunningAuthServer[] = [];

  private constructor(
    options: DockyardRegistryOptions,
    registry: LocalRegistry,
    authVolume: SecretVolume,
    authSecret: Record<string, string>,
    workDir: string,
  ) {
    this.options = options;
    this.registry = registry;
    this.authVolume = authVolume;
    this.authSecret = authSecret;
    this.workDir = workDir;
    this.processes = new ProcessRegistry(join(workDir, 'process-groups'), workDir);
    this.processes.armReaper();
  }

  static async start(options: DockyardRegistryOptions): Promise<DockyardRegistry> {
    const { spec, namespace, name } = options;
    const authSecret = options.sharedAuthSecret ?? newAuthSecret(options);
    const workDir = await mkdtemp(join(tmpdir(), 'dockyard-auth-'));
    // The registry container gets the certificate alone, from its own mount.
    const tokenCertificateFile = join(workDir, 'token-signing.crt');
    await writeFile(tokenCertificateFile, authSecret[authSecretKeys.signingCertificate]!);
    const authVolume = new SecretVolume(authSecret);

    const secrets: Record<string, Record<string, string>> = { ...options.userSecrets, [childNames(name).auth]: authSecret };
    const env = Object.fromEntries(
      registryEnvironment(spec, { name, notifications: options.notifications !== undefined }).map((variable) => {
        const value = secrets[variable.secretName]?.[variable.key];
        if (value === undefined) throw new Error(`test has no Secret ${variable.secretName} key ${variable.key} for ${variable.name}`);
        return [variable.name, value];
      }),
    );
    const registry = await LocalRegistry.start({
      flavor: options.flavor,
      binDir: options.binDir,
      env: { ...env, ...options.extraEnv },
      ...(options.seedStorageFrom !== undefined ? { seedStorageFrom: options.seedStorageFrom } : {}),
      config: ({ port, storageDirectory }) =>
        renderRegistryConfig(spec, { namespace, name, local: { httpAddress: `127.0.0.1:${port}`, storageDirectory, tokenCertificateFile } }),
    });
    return new DockyardRegistry(options, registry, authVolume, authSecret, workDir);
  }

  /**
   * A Registry `main` in `team-a` on emptyDir storage (unless `spec` says otherwise), with the
   * credentials a first reconcile makes: what a test of the door alone needs.
   */
  static startFresh(flavor: RegistryFlavor, binDir: string, spec: Record<string, unknown> = { storage: { emptyDir: {} } }): Promise<DockyardRegistry> {
    const credentials = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
    return DockyardRegistry.start({ flavor, binDir, spec: RegistrySpec.parse(spec), namespace: 'team-a', name: 'main', credentials });
  }

  /** The credentials this registry started with. */
  get plan(): CredentialPlan {
    return this.options.credentials;
  }

  /** The auth Secret's data, to start another replica of this registry (sharedAuthSecret). */
  get authSecretData(): Record<string, string> {
    return { ...this.authSecret };
  }

  /**
   * Starts one more `dockyard auth-server` in front of the registry, with the Pod's options except
   * files and ports. `main` is the entry point: src/main.ts unless given, such as the bundle
   * (dist/dockyard/main.js) that the image runs, for measurements.
   */
  async startAuthServer(overrides: Partial<AuthServerOptions> = {}, main: string = mainModule): Promise<RunningAuthServer> {
    const [port] = await freeLoopbackPorts(1);
    const options: AuthServerOptions = {
      ...authServerOptionsFor(this.options.spec, this.options.namespace, this.options.name),
      listen: `127.0.0.1:${port}`,
      upstream: this.registry.url,
      identitiesFile: this.authVolume.path(authSecretKeys.identities),
      signingKeyFile: this.authVolume.path(authSecretKeys.signingKey),
      signingCertificateFile: this.authVolume.path(authSecretKeys.signingCertificate),
      writeGateFile: this.authVolume.path(authSecretKeys.writeGate),
      reloadInterval: '200ms',
      // The Pod's records directory is inside its storage volume; here, inside the test's own directory.
      recordsDir: join(this.workDir, 'push-records'),
      ...overrides,
    };
    const url = `http://127.0.0.1:${port}`;
    const process = await startAuthServerProcess({
      main,
      args: authServerArgs(options),
      url,
      logFile: join(this.workDir, `auth-server-${port}.log`),
      processes: this.processes,
    });
    const server = { port: port!, url, process };
    this.authServers.push(server);
    return server;
  }

  /** Writes new identities into the auth Secret volume, as kubelet does after the operator updated the Secret. */
  updateIdentities(plan: CredentialPlan): void {
    this.authSecret = { ...this.authSecret, [authSecretKeys.identities]: serializeIdentities(plan.identities) };
    this.authVolume.write(this.authSecret);
  }

  /** Where the auth servers started without an override keep their push records. */
  get recordsDir(): string {
    return join(this.workDir, 'push-records');
  }

  /** Writes the write gate (undefined: none) into the auth Secret volume, as kubelet does after the operator updated the Secret. */
  setWriteGate(gate: WriteGate | undefined): void {
    this.authSecret = { ...this.authSecret, [authSecretKeys.writeGate]: serializeWriteGate(gate) };
    this.authVolume.write(this.authSecret);
  }

  /** Every auth server's log so far. */
  authServerLogs(): string {
    return this.authServers.map((server) => server.process.logTail(100_000)).join('\n');
  }

  async stop(): Promise<void> {
    for (const server of this.authServers) await server.process.stop();
    this.processes.disarmReaper();
    await this.registry.stop();
    this.authVolume.remove();
    await rm(this.workDir, { recursive: true, force: true });
  }
}

function newAuthSecret(options: DockyardRegistryOptions): Record<string, string> {
  const material = ensureAuthMaterial({}, new Date(), `${options.name}.${options.namespace}`);
  return decodeSecretData(
    authSecretData({
      ...material,
      identities: options.credentials.identities,
      ...(options.notifications ? { notificationEndpoints: notificationEndpointsYaml(options.notifications) } : {}),
    }),
  );
}

/**
 * Runs `node MAIN ARGS` (ARGS starting with `auth-server`) as a process of `processes` and waits
 * until its /healthz at `url` answers 200. When it does not, it is stopped and the error carries
 * the end of its log.
 */
export async function startAuthServerProcess(options: {
  main: string;
  args: string[];
  url: string;
  logFile: string;
  processes: ProcessRegistry;
}): Promise<ManagedProcess> {
  const process = new ManagedProcess(
    { name: `auth-server ${options.url}`, command: globalThis.process.execPath, args: [options.main, ...options.args], logFile: options.logFile },
    options.processes,
  );
  process.start();
  try {
    await eventually(async () => (await fetch(`${options.url}/healthz`)).status === 200, {
      what: `the auth server at ${options.url} to be healthy`,
      timeoutMs: 20_000,
      intervalMs: 100,
    });
  } catch (error) {
    const log = process.logTail();
    await process.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${log}`);
  }
  return process;
}
