import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localImageNames } from '../cluster/images/local-images.ts';
import { allowPlainHttpPulls } from '../cluster/real-node/node-config.ts';
import { eventually } from '../support/eventually.ts';
import { buildImage, buildLayer } from '../registry/images.ts';
import { RegistryPusher } from '../registry/push.ts';
import { tokenService } from '../../src/registry-auth/pod-contract.ts';
import { e2eKubeConfig, e2eUnavailable, helm, kubectl, portForward, run } from './cluster.ts';
import { readQuickstart, runQuickstart } from './quickstart.ts';

const root = new URL('../../', import.meta.url).pathname;
const release = 'dockyard';
const operatorNamespace = 'dockyard-system';
const team = 'e2e-team';
const consumer = 'e2e-consumer';
const hostPort = 5055;

interface RegistryStatus {
  phase?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

describe.skipIf(e2eUnavailable !== undefined)(`Dockyard on a real node${e2eUnavailable ? ` (skipped: ${e2eUnavailable})` : ''}`, () => {
  const kubeConfig = e2eUnavailable === undefined ? e2eKubeConfig() : undefined;
  const core = () => kubeConfig!.makeApiClient(CoreV1Api);
  const custom = () => kubeConfig!.makeApiClient(CustomObjectsApi);
  const timings: string[] = [];
  const timed = async <T>(what: string, action: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await action();
    timings.push(`${what}: ${((performance.now() - started) / 1000).toFixed(1)}s`);
    return result;
  };

  async function registryStatus(namespace: string, name: string): Promise<RegistryStatus> {
    const object = (await custom().getNamespacedCustomObject({ group: 'dockyard.dev', version: 'v1alpha1', plural: 'registries', namespace, name })) as {
      status?: RegistryStatus;
    };
    return object.status ?? {};
  }

  async function runPod(namespace: string, name: string, image: string, extra: Partial<V1Pod['spec']> = {}): Promise<string> {
    await core().createNamespacedPod({
      namespace,
      body: {
        metadata: { name },
        spec: { containers: [{ name, image, command: ['/bin/sh', '-c', `echo ran-${name}; exec sleep 3600`] }], terminationGracePeriodSeconds: 1, ...extra },
      },
    });
    return eventually(
      async () => {
        const log = await core().readNamespacedPodLog({ name, namespace });
        return log.includes(`ran-${name}`) && log;
      },
      { what: `Pod ${namespace}/${name} to run ${image}`, timeoutMs: 120_000, intervalMs: 1_000 },
    );
  }

  beforeAll(async () => {
    await timed('helm install (operator Available, 2 replicas)', async () => {
      await run(helm(), [
        'install',
        release,
        join(root, 'charts/dockyard'),
        '--kubeconfig',
        inject('e2eKubeconfig')!,
        '--namespace',
        operatorNamespace,
        '--create-namespace',
        '--set',
        'pullSecretSources={*}',
        '--wait',
        '--timeout',
        '180s',
      ]);
    });
    for (const name of [team, consumer])
      await core().createNamespace({ body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } } });
  });

  afterAll(async () => {
    process.stderr.write(`[e2e] ${timings.join('; ')}\n`);
  });

  it('installs the operator from the local image: two replicas, one leader', async () => {
    const apps = kubeConfig!.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ name: `${release}-operator`, namespace: operatorNamespace });
    expect(deployment.status?.readyReplicas).toBe(2);
    const { stdout } = await kubectl(['get', 'lease', '-n', operatorNamespace, 'dockyard-operator', '-o', 'jsonpath={.spec.holderIdentity}']);
    expect(stdout).toMatch(new RegExp(`^${release}-operator-`));
    const test = await timed('helm test', () =>
      run(helm(), ['test', release, '--kubeconfig', inject('e2eKubeconfig')!, '--namespace', operatorNamespace, '--timeout', '120s']),
    );
    expect(test.stdout).toMatch(/operator-ready[\s\S]*Succeeded/);
  });

  it('runs a Registry on PVC storage that becomes Ready with real Pods', async () => {
    await custom().createNamespacedCustomObject({
      group: 'dockyard.dev',
      version: 'v1alpha1',
      plural: 'registries',
      namespace: team,
      body: {
        apiVersion: 'dockyard.dev/v1alpha1',
        kind: 'Registry',
        metadata: { name: 'main', namespace: team },
        spec: {
          storage: { persistentVolumeClaim: { size: '1Gi' } },
          pullSecrets: { namespaces: [consumer], serviceAccounts: ['default'] },
          nodeAccess: { hostPort },
        },
      },
    });
    const status = await timed('Registry on PVC Ready', () =>
      eventually(
        async () => {
          const current = await registryStatus(team, 'main');
          return current.phase === 'Ready' && current;
        },
        { what: 'Registry main to become Ready', timeoutMs: 180_000, intervalMs: 1_000 },
      ),
    );
    expect(status.phase).toBe('Ready');
    const pods = await core().listNamespacedPod({ namespace: team, labelSelector: 'dockyard.dev/registry=main' });
    const running = pods.items.filter((pod) => pod.spec?.nodeName === 'dockyard-real-node' && pod.status?.containerStatuses?.every((c) => c.ready));
    expect(running.length).toBeGreaterThan(0);
  });

  it('takes a push with the push credentials through kubectl port-forward, and a Pod in another namespace pulls it through the node proxy', async () => {
    const push = await core().readNamespacedSecret({ name: 'main-push', namespace: team });
    const field = (key: string) => Buffer.from(push.data?.[key] ?? '', 'base64').toString();
    const forward = await portForward(team, 'main-registry', 5000);
    try {
      await timed('skopeo push through port-forward', () =>
        run('skopeo', [
          'copy',
          '--dest-tls-verify=false',
          '--dest-creds',
          `${field('username')}:${field('password')}`,
          `oci-archive:${join(inject('e2eImagesDir')!, 'busybox-1.oci.tar')}`,
          `docker://127.0.0.1:${forward.localPort}/e2e/busybox:pushed`,
        ]),
      );
    } finally {
      forward.stop();
    }
    await eventually(
      () =>
        core()
          .readNamespacedSecret({ name: 'main-pull', namespace: consumer })
          .then(() => true),
      { what: 'the pull Secret fanned out' },
    );
    const log = await timed('Pod pulls localhost:PORT image via node proxy', () =>
      runPod(consumer, 'via-node-proxy', `localhost:${hostPort}/e2e/busybox:pushed`),
    );
    expect(log).toContain('ran-via-node-proxy');
  });

  it('runs a Pod in another namespace from the Service name, pulled with the fanned-out pull Secret', async () => {
    // The registry serves plain HTTP inside the cluster: the node is told so, as an admin would.
    const host = `main-registry.${team}.svc:5000`;
    await allowPlainHttpPulls(inject('e2eNodeDir')!, host);
    const serviceAccount = await eventually(
      async () => {
        const account = await core().readNamespacedServiceAccount({ name: 'default', namespace: consumer });
        return account.imagePullSecrets?.some((secret) => secret.name === 'main-pull') && account;
      },
      { what: 'the default ServiceAccount to carry the pull Secret' },
    );
    expect(serviceAccount.imagePullSecrets).toContainEqual({ name: 'main-pull' });
    const log = await timed('Pod pulls by Service name with the pull Secret', () => runPod(consumer, 'by-service-name', `${host}/e2e/busybox:pushed`));
    expect(log).toContain('ran-by-service-name');
  });

  it('refuses the same pull without credentials: the pull Secret is what lets it through', async () => {
    const namespace = 'e2e-stranger';
    await core().createNamespace({ body: { metadata: { name: namespace } } });
    await core().createNamespacedPod({
      namespace,
      // Always: the node holds the image since the previous test, and would otherwise not ask.
      body: {
        metadata: { name: 'no-credentials' },
        spec: { containers: [{ name: 'c', image: `main-registry.${team}.svc:5000/e2e/busybox:pushed`, imagePullPolicy: 'Always' }] },
      },
    });
    const waiting = await eventually(
      async () => {
        const pod = await core().readNamespacedPod({ name: 'no-credentials', namespace });
        const reason = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        return (reason === 'ErrImagePull' || reason === 'ImagePullBackOff') && pod.status?.containerStatuses?.[0]?.state?.waiting;
      },
      { what: 'the anonymous pull to fail', timeoutMs: 90_000, intervalMs: 1_000 },
    );
    expect(waiting.message ?? '').toMatch(/401|unauthorized|authoriz/i);
  });

  it('reports a Registry whose S3 Secret is missing as not Ready, saying why', async () => {
    await custom().createNamespacedCustomObject({
      group: 'dockyard.dev',
      version: 'v1alpha1',
      plural: 'registries',
      namespace: team,
      body: {
        apiVersion: 'dockyard.dev/v1alpha1',
        kind: 'Registry',
        metadata: { name: 'no-bucket-keys', namespace: team },
        spec: { storage: { s3: { bucket: 'nowhere', region: 'eu-central-1', credentialsSecretRef: { name: 'missing-s3' } } } },
      },
    });
    const status = await eventually(
      async () => {
        const current = await registryStatus(team, 'no-bucket-keys');
        return current.conditions?.some((c) => c.type === 'Ready') && current;
      },
      { what: 'the S3 Registry to report Ready=False', timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(status.phase).not.toBe('Ready');
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('False');
    expect(`${ready?.reason} ${ready?.message}`).toMatch(/missing-s3|secret/i);
    timings.push(`S3 Registry without its Secret: Ready=${ready?.status} ${ready?.reason}: ${ready?.message}`);
  });

  it('runs a RetentionPolicy as a real Job on the node, with the maintainer credential copied for it, and reports the outcome', async () => {
    // Four images with known build times, pushed through the registry's door with the push identity.
    const push = await core().readNamespacedSecret({ name: 'main-push', namespace: team });
    const field = (key: string) => Buffer.from(push.data?.[key] ?? '', 'base64').toString();
    const forward = await portForward(team, 'main-registry', 5000);
    const base = `http://127.0.0.1:${forward.localPort}`;
    const tokenFor = async (actions: string) => {
      const query = new URLSearchParams({ service: tokenService(team, 'main'), scope: `repository:e2e/app:${actions}` });
      const answer = await fetch(`${base}/auth/token?${query}`, {
        headers: { authorization: `Basic ${Buffer.from(`${field('username')}:${field('password')}`).toString('base64')}` },
      });
      return ((await answer.json()) as { token: string }).token;
    };
    try {
      const pusher = new RegistryPusher(base, { authorization: `Bearer ${await tokenFor('push,pull')}` });
      const now = Date.now();
      for (let version = 1; version <= 4; version++) {
        await pusher.pushManifest('e2e/app', buildImage({ created: new Date(now - (5 - version) * 86_400_000) }), `v${version}`);
      }
      await custom().createNamespacedCustomObject({
        group: 'dockyard.dev',
        version: 'v1alpha1',
        plural: 'retentionpolicies',
        namespace: team,
        body: {
          apiVersion: 'dockyard.dev/v1alpha1',
          kind: 'RetentionPolicy',
          metadata: { name: 'keep-two', namespace: team, annotations: { 'dockyard.dev/run-now': 'e2e' } },
          spec: {
            registryRef: { name: 'main' },
            repositories: ['e2e/app'],
            schedule: '0 3 * * *',
            rules: [{ mostRecentlyPushed: 2 }],
            minTagsPerRepository: 0,
          },
        },
      });
      const lastRun = await timed('retention Job runs on the real node', () =>
        eventually(
          async () => {
            const object = (await custom().getNamespacedCustomObject({
              group: 'dockyard.dev',
              version: 'v1alpha1',
              plural: 'retentionpolicies',
              namespace: team,
              name: 'keep-two',
            })) as { status?: { lastRun?: { outcome?: string; deleted?: number; message?: string; jobName?: string }; reportConfigMap?: string } };
            return object.status?.lastRun?.outcome !== undefined && object.status;
          },
          { what: 'the retention run to be reported', timeoutMs: 180_000, intervalMs: 1_000 },
        ),
      );
      expect(lastRun.lastRun).toMatchObject({ outcome: 'Succeeded', deleted: 2 });
      const pods = await core().listNamespacedPod({ namespace: operatorNamespace, labelSelector: `batch.kubernetes.io/job-name=${lastRun.lastRun?.jobName}` });
      expect(pods.items.map((pod) => pod.spec?.nodeName)).toEqual(['dockyard-real-node']);
      const report = await core().readNamespacedConfigMap({ namespace: team, name: lastRun.reportConfigMap! });
      expect(JSON.parse(report.data?.['summary.json'] ?? '{}')).toMatchObject({ summary: { outcome: 'Succeeded', deleted: 2 } });
      const tags = await fetch(`${base}/v2/e2e/app/tags/list`, { headers: { authorization: `Bearer ${await tokenFor('pull')}` } });
      expect(((await tags.json()) as { tags: string[] }).tags.sort()).toEqual(['v3', 'v4']);
    } finally {
      forward.stop();
    }
  });

  it('runs the README quickstart as written: a Ready registry, a push through a port-forward, a Pod pulling through the node proxy', async () => {
    const script = await readQuickstart(root, inject('e2eImagesDir')!);
    try {
      const { output, code } = await timed('README quickstart', () =>
        runQuickstart(script, { cwd: root, kubeconfig: inject('e2eKubeconfig')!, timeoutMs: 300_000 }),
      );
      expect(code, output).toBe(0);
      expect(output).toMatch(/team-a\s+scratch\s+Ready/);
      expect(output).toMatch(/^hello from my registry$/m);
    } finally {
      await kubectl(['delete', 'namespace', 'team-a', '--wait=false', '--ignore-not-found']);
    }
  }, 330_000);

  it('collects garbage on the registry volume while pulls go on: pushes refused during the gate, the deleted image gone, the other whole', async () => {
    const secretField = async (name: string, key: string) =>
      Buffer.from((await core().readNamespacedSecret({ name, namespace: team })).data?.[key] ?? '', 'base64').toString();
    const forward = await portForward(team, 'main-registry', 5000);
    const base = `http://127.0.0.1:${forward.localPort}`;
    const tokenFor = async (secret: string, actions: string) => {
      const basic = Buffer.from(`${await secretField(secret, 'username')}:${await secretField(secret, 'password')}`).toString('base64');
      const query = new URLSearchParams({ service: tokenService(team, 'main'), scope: `repository:e2e/shared:${actions}` });
      const answer = await fetch(`${base}/auth/token?${query}`, { headers: { authorization: `Basic ${basic}` } });
      return ((await answer.json()) as { token: string }).token;
    };
    try {
      // Two images sharing a layer; the second is deleted by digest with the maintainer identity.
      const shared = buildLayer(4096);
      const kept = buildImage({ sharedLayers: [shared], layerBytes: 4096 });
      const dropped = buildImage({ sharedLayers: [shared], layerBytes: 4096 });
      const pusher = new RegistryPusher(base, { authorization: `Bearer ${await tokenFor('main-push', 'push,pull')}` });
      await pusher.pushManifest('e2e/shared', kept, 'kept');
      await pusher.pushManifest('e2e/shared', dropped, 'dropped');
      const maintainer = { authorization: `Bearer ${await tokenFor('main-registry-maintainer', 'pull,delete')}` };
      const deleted = await fetch(`${base}/v2/e2e/shared/manifests/${dropped.digest}`, { method: 'DELETE', headers: maintainer });
      expect(deleted.status).toBe(202);

      await kubectl([
        'patch',
        'registry',
        'main',
        '-n',
        team,
        '--type',
        'merge',
        '-p',
        JSON.stringify({
          metadata: { annotations: { 'dockyard.dev/collect-garbage-now': 'e2e' } },
          spec: { garbageCollection: { schedule: '0 4 * * *', maxReadOnlyDuration: '5m' } },
        }),
      ]);
      // While the collector runs (past Gating, every door holds the gate), a push is refused.
      let refusal: { status: number; body: string } | undefined;
      const status = await timed('garbage collection on the real node (gate, dry run, cross-check, collect, verify)', () =>
        eventually(
          async () => {
            const object = (await custom().getNamespacedCustomObject({
              group: 'dockyard.dev',
              version: 'v1alpha1',
              plural: 'registries',
              namespace: team,
              name: 'main',
            })) as {
              status?: RegistryStatus & { garbageCollection?: { current?: { phase: string }; lastRun?: Record<string, unknown> } };
            };
            const phase = object.status?.garbageCollection?.current?.phase;
            if (refusal === undefined && (phase === 'DryRun' || phase === 'Collecting')) {
              const attempt = await fetch(`${base}/v2/e2e/shared/blobs/uploads/`, {
                method: 'POST',
                headers: { authorization: `Bearer ${await tokenFor('main-push', 'push,pull')}` },
              });
              refusal = { status: attempt.status, body: await attempt.text() };
            }
            return object.status?.garbageCollection?.lastRun !== undefined && object.status;
          },
          { what: 'the garbage collection to end', timeoutMs: 300_000, intervalMs: 500 },
        ),
      );
      process.stderr.write(`[e2e] garbage collection: ${JSON.stringify(status.garbageCollection?.lastRun)}\n`);
      expect(status.garbageCollection?.lastRun).toMatchObject({ outcome: 'Succeeded' });
      expect(status.garbageCollection?.lastRun?.['blobsDeleted']).toBeGreaterThan(0);
      process.stderr.write(
        `[e2e] push during the gate: ${refusal === undefined ? 'not attempted (the collector phases were not seen)' : `HTTP ${refusal.status}`}\n`,
      );
      if (refusal !== undefined) {
        expect(refusal.status).toBe(403);
        expect(refusal.body).toMatch(/maintenance|garbage collection/i);
      }
      const pull = { authorization: `Bearer ${await tokenFor('main-pull', 'pull')}` };
      for (const blob of kept.blobs) {
        const answer = await fetch(`${base}/v2/e2e/shared/blobs/${blob.digest}`, { headers: pull });
        expect(answer.status, `blob ${blob.digest} of the kept image`).toBe(200);
        expect(Buffer.from(await answer.arrayBuffer()).equals(blob.bytes)).toBe(true);
      }
      const onlyDropped = dropped.blobs.filter((blob) => !kept.blobs.some((candidate) => candidate.digest === blob.digest));
      for (const blob of onlyDropped) {
        const answer = await fetch(`${base}/v2/e2e/shared/blobs/${blob.digest}`, { method: 'HEAD', headers: pull });
        expect(answer.status, `blob ${blob.digest} only the deleted image used`).toBe(404);
      }
      // Pushes are open again, a collected layer included.
      const again = new RegistryPusher(base, { authorization: `Bearer ${await tokenFor('main-push', 'push,pull')}` });
      await again.pushManifest('e2e/shared', dropped, 'pushed-again');
    } finally {
      forward.stop();
    }
  });

  it('uses the images the real node imported, never a pull from the internet', async () => {
    const { stdout } = await kubectl(['get', 'node', 'dockyard-real-node', '-o', 'jsonpath={.status.images[*].names}']);
    expect(stdout).toContain(localImageNames.dockyard);
    expect(stdout).toContain(localImageNames.registry);
  });
});
