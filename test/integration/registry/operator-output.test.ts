import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { childNames, containerNames } from '../../../src/controllers/common/registry-children.ts';
import { credentialSecretKeys, paths } from '../../../src/registry-auth/pod-contract.ts';
import { freeLoopbackPorts } from '../../cluster/ports.ts';
import { ProcessRegistry, type ManagedProcess } from '../../cluster/processes.ts';
import { startAuthServerProcess } from '../../registry/dockyard-registry.ts';
import { buildImage } from '../../registry/images.ts';
import { LocalRegistry } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';
import { bundledDockyardMain } from '../../support/bundle.ts';
import { eventually } from '../../support/eventually.ts';
import { decodeRegistryToken } from '../../support/registry-token.ts';
import { decodeSecretData, SecretVolume } from '../../support/secret-volume.ts';
import { RegistryTestbed } from './testbed.ts';

// Issue 5's acceptance, end to end: not the operator's functions called by a test, but what the
// running operator wrote into the cluster (config Secret, auth Secret, the Deployment's args and
// env, the push Secret and a fanned-out pull Secret) run for real: distribution 3 with that
// config.yml and the bundled `dockyard auth-server` with those args, paths moved to a temp dir.
const owner = 'e2e-owner';
const consumer = 'e2e-consumer';
const name = 'main';
const names = childNames(name);

type Credential = { username: string; password: string };

describe.skipIf(inject('externalCluster'))('what the operator writes, run for real', () => {
  let testbed: RegistryTestbed;
  let registry: LocalRegistry;
  let authServer: ManagedProcess;
  let authVolume: SecretVolume;
  let workDir: string;
  let processes: ProcessRegistry;
  let front: string;
  let push: Credential;
  let pullFromConsumer: Credential;
  let endpoints: string[];

  const secret = async (namespace: string, secretName: string): Promise<Record<string, string>> =>
    decodeSecretData(((await testbed.core.readNamespacedSecret({ namespace, name: secretName })) as V1Secret).data ?? {});

  beforeAll(async () => {
    testbed = await RegistryTestbed.start(inject('binDir'), { pullSecretSources: owner });
    await testbed.createNamespace(owner);
    await testbed.createNamespace(consumer, { 'pulls-from': owner });
    await testbed.createRegistry(owner, name, { storage: { emptyDir: {} }, pullSecrets: { namespaceSelector: { matchLabels: { 'pulls-from': owner } } } });
    await testbed.waitForReady(owner, name);
    const pullCopy = await eventually(() => secret(consumer, names.pull).catch(() => undefined), {
      what: 'the pull Secret in the consumer namespace',
      timeoutMs: 30_000,
    });

    const deployment = await testbed.apps.readNamespacedDeployment({ namespace: owner, name: names.workload });
    const containers = deployment.spec?.template.spec?.containers ?? [];
    const container = (containerName: string): V1Container => containers.find((candidate) => candidate.name === containerName)!;
    const config = await secret(owner, names.config);
    const auth = await secret(owner, names.auth);
    push = await secret(owner, names.push).then((data) => ({ username: data[credentialSecretKeys.username]!, password: data[credentialSecretKeys.password]! }));
    const dockerConfig = JSON.parse(pullCopy[credentialSecretKeys.dockerConfig]!) as {
      auths: Record<string, { username: string; password: string; auth: string }>;
    };
    endpoints = Object.keys(dockerConfig.auths);
    const entry = Object.values(dockerConfig.auths)[0]!;
    expect(Buffer.from(entry.auth, 'base64').toString()).toBe(`${entry.username}:${entry.password}`);
    pullFromConsumer = { username: entry.username, password: entry.password };

    workDir = await mkdtemp(join(tmpdir(), 'dockyard-output-'));
    authVolume = new SecretVolume(auth);
    const tokenCertificate = join(workDir, 'token-signing.crt');
    await writeFile(tokenCertificate, auth['token-signing.crt']!);
    // The registry container's env, resolved from the Secrets its secretKeyRefs name.
    const env: Record<string, string> = {};
    for (const variable of container(containerNames.registry).env ?? []) {
      const reference = variable.valueFrom?.secretKeyRef;
      env[variable.name] = reference ? (await secret(owner, reference.name!))[reference.key]! : (variable.value ?? '');
    }
    registry = await LocalRegistry.start({
      flavor: 'distribution-3',
      binDir: inject('binDir'),
      env,
      config: ({ port, storageDirectory }) => {
        const document = parse(config['config.yml']!) as {
          http: { addr: string };
          storage: { filesystem?: { rootdirectory: string } };
          auth: { token: { rootcertbundle: string } };
        };
        expect(document.storage.filesystem?.rootdirectory).toBe(paths.storage);
        expect(document.auth.token.rootcertbundle).toBe(paths.tokenCertificateFile);
        document.http.addr = `127.0.0.1:${port}`;
        document.storage.filesystem!.rootdirectory = storageDirectory;
        document.auth.token.rootcertbundle = tokenCertificate;
        return stringify(document);
      },
    });

    const [port] = await freeLoopbackPorts(1);
    front = `http://127.0.0.1:${port}`;
    const args = (container(containerNames.auth).args ?? []).map((arg) => {
      if (arg.startsWith('--listen=')) return `--listen=127.0.0.1:${port}`;
      if (arg.startsWith('--upstream=')) return `--upstream=${registry.url}`;
      // The push records live in the storage volume, as in the Pod: here, the registry's directory.
      if (arg.startsWith('--records-dir=')) return arg.replace(`=${paths.storage}/`, `=${registry.storageDir}/`);
      return arg.replace(`=${paths.authDir}/`, `=${authVolume.dir}/`);
    });
    expect(args[0]).toBe('auth-server');
    expect(args).toContain(`--records-dir=${registry.storageDir}/dockyard/push-records`);
    processes = new ProcessRegistry(join(workDir, 'process-groups'), workDir);
    processes.armReaper();
    authServer = await startAuthServerProcess({ main: bundledDockyardMain(), args, url: front, logFile: join(workDir, 'auth-server.log'), processes });
  });

  afterAll(async () => {
    await authServer?.stop();
    processes?.disarmReaper();
    await registry?.stop();
    authVolume?.remove();
    if (workDir) await rm(workDir, { recursive: true, force: true });
    await testbed?.stop();
  });

  it('hands the consumer namespace credentials for the Service name', () => {
    expect(endpoints).toContain(`${names.workload}.${owner}.svc:5000`);
  });

  it('lets the push Secret push, and the fanned-out pull Secret pull, through the real registry', async () => {
    const image = buildImage({ layerCount: 2 });
    await new RegistryPusher(front, {}, new TokenAuthClient(push).fetch).pushManifest('apps/web', image, 'v1');
    const pulled = await new TokenAuthClient(pullFromConsumer).fetch(`${front}/v2/apps/web/manifests/v1`, { headers: { accept: image.mediaType } });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('docker-content-digest')).toBe(image.digest);
    await pulled.arrayBuffer();
  });

  it('refuses a push with the fanned-out pull Secret: its tokens grant pull and nothing more', async () => {
    const client = new TokenAuthClient(pullFromConsumer);
    await expect(new RegistryPusher(front, {}, client.fetch).pushManifest('apps/web', buildImage(), 'from-consumer')).rejects.toThrow('HTTP 401');
    const granted = client.tokens.flatMap((token) => decodeRegistryToken(token).claims.access);
    expect(granted.length).toBeGreaterThan(0);
    expect(granted.every((access) => access.actions.join() === 'pull')).toBe(true);
  });
});
