import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistrySpec } from '../../src/api/v1alpha1/registry.ts';
import { planCredentials, type CredentialPlan } from '../../src/registry-auth/credential-plan.ts';
import { readCredentialSecret, credentialSecretData } from '../../src/registry-auth/credential-secret.ts';
import { roles, type Role } from '../../src/registry-auth/identities.ts';
import { DockyardRegistry, type RunningAuthServer } from '../registry/dockyard-registry.ts';
import { manifestAccept } from '../../src/oci/media-types.ts';
import { buildImage, type BuiltManifest } from '../registry/images.ts';
import { debianRegistryAvailable, type RegistryFlavor } from '../registry/local-registry.ts';
import { RegistryPusher } from '../registry/push.ts';
import { TokenAuthClient, TokenRequestRefused } from '../registry/token-auth.ts';
import { eventually } from '../support/eventually.ts';
import { decodeRegistryToken } from '../support/registry-token.ts';

// The acceptance test of issue 5's auth: Dockyard's rendered config.yml on the real registry
// binary, both flavours, behind the real `dockyard auth-server`, with operator-made credentials.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];
const namespace = 'team-a';
const name = 'main';
const spec = RegistrySpec.parse({ storage: { emptyDir: {} }, auth: { credentialRotation: { period: '720h', overlap: '24h' } } });
const notificationToken = 'test-notification-token';

type Credential = { username: string; password: string };

/** Receives distribution's notifications, as the operator would. */
class NotificationSink {
  readonly received: { authorization: string | undefined; actions: string[] }[] = [];
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { events?: { action: string }[] };
      this.received.push({ authorization: request.headers.authorization, actions: (body.events ?? []).map((event) => event.action) });
      response.writeHead(200).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Pulls a manifest and its config blob with these credentials (or none); returns the manifest's status. */
async function pull(
  server: RunningAuthServer,
  credential: Credential | undefined,
  repository: string,
  reference: string,
  image?: BuiltManifest,
): Promise<number> {
  const client = new TokenAuthClient(credential);
  const manifest = await client.fetch(`${server.url}/v2/${repository}/manifests/${reference}`, { headers: { accept: manifestAccept } });
  await manifest.arrayBuffer();
  if (manifest.status === 200 && image !== undefined) {
    const blob = await client.fetch(`${server.url}/v2/${repository}/blobs/${image.blobs[0]!.digest}`);
    expect(Buffer.from(await blob.arrayBuffer()).equals(image.blobs[0]!.bytes)).toBe(true);
  }
  return manifest.status;
}

async function tokenStatus(server: RunningAuthServer, credential: Credential): Promise<number> {
  const authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
  const response = await fetch(`${server.url}/auth/token?service=${name}.${namespace}.dockyard.dev&scope=repository:apps/web:pull`, {
    headers: { authorization },
  });
  await response.arrayBuffer();
  return response.status;
}

/** The operator's next reconcile: plan from what the auth and credential Secrets hold now. */
function nextPlan(previous: CredentialPlan, overrides: Partial<Parameters<typeof planCredentials>[0]>): CredentialPlan {
  const known = Object.fromEntries(roles.map((role) => [role, readCredentialSecret(credentialSecretData(previous.credentials[role], ['localhost:5000']))]));
  return planCredentials({
    identities: previous.identities,
    known,
    rotation: spec.auth?.credentialRotation,
    rotationRequest: undefined,
    now: new Date(),
    ...overrides,
  });
}

describe.skipIf(inject('externalCluster')).each(flavors)('registry auth (%s)', (flavor) => {
  let dockyard: DockyardRegistry;
  let front: RunningAuthServer;
  let anonymousFront: RunningAuthServer;
  let plan: CredentialPlan;
  const sink = new NotificationSink();
  const image = buildImage({ layerCount: 2 });
  const credential = (role: Role) => plan.credentials[role].published;

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    plan = planCredentials({ identities: undefined, known: {}, rotation: spec.auth?.credentialRotation, rotationRequest: undefined, now: new Date() });
    const notificationUrl = await sink.start();
    dockyard = await DockyardRegistry.start({
      flavor,
      binDir: inject('binDir'),
      spec,
      namespace,
      name,
      credentials: plan,
      notifications: { url: notificationUrl, token: notificationToken },
    });
    front = await dockyard.startAuthServer();
    anonymousFront = await dockyard.startAuthServer({ anonymousPull: true });
  });

  afterAll(async () => {
    await dockyard?.stop();
    await sink.stop();
  });

  it('lets the push identity push, and sends the push to the notification endpoint with its bearer token', async () => {
    const client = new TokenAuthClient(credential('push'));
    await new RegistryPusher(front.url, {}, client.fetch).pushManifest('apps/web', image, 'v1');
    expect(client.challenges[0]?.service).toBe(`${name}.${namespace}.dockyard.dev`);
    await eventually(() => sink.received.some((event) => event.actions.includes('push')), { what: 'a push notification', timeoutMs: 20_000 });
    expect(new Set(sink.received.map((event) => event.authorization))).toEqual(new Set([`Bearer ${notificationToken}`]));
  });

  it('lets the pull identity pull', async () => {
    expect(await pull(front, credential('pull'), 'apps/web', 'v1', image)).toBe(200);
  });

  it('refuses a push with the pull identity: the token service grants pull only and distribution answers 401', async () => {
    const client = new TokenAuthClient(credential('pull'));
    const pusher = new RegistryPusher(front.url, {}, client.fetch);
    await expect(pusher.pushManifest('apps/web', buildImage(), 'from-pull')).rejects.toThrow('HTTP 401');
    const granted = client.tokens.flatMap((token) => decodeRegistryToken(token).claims.access);
    expect(granted.length).toBeGreaterThan(0);
    expect(granted.every((access) => access.actions.join() === 'pull')).toBe(true);
    expect(client.challenges.some((challenge) => challenge.scopes.some((scope) => scope.includes('push')))).toBe(true);
  });

  it('says which identity lacks which action when distribution refuses a token, with its challenge intact', async () => {
    const expectRefusal = async (response: Response, message: string, scope: string) => {
      expect(response.status).toBe(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).toContain('error="insufficient_scope"');
      // 2.8 lists a scope's actions in map order.
      const [resource, actions] = /scope="(.*):([^":]*)"/.exec(challenge)!.slice(1) as [string, string];
      expect(`${resource}:${actions.split(',').sort().join(',')}`).toBe(scope);
      expect(challenge).toContain(`realm="${new URL(response.url).origin}/auth/token"`);
      const body = (await response.json()) as { errors: { code: string; message: string; detail: unknown }[] };
      expect(body.errors[0]).toMatchObject({ code: 'UNAUTHORIZED', message });
      expect(body.errors[0]!.detail).toBeDefined(); // distribution's detail (the missing access) stays
    };
    const pullUser = credential('pull').username;
    const pushUpload = await new TokenAuthClient(credential('pull')).fetch(`${front.url}/v2/apps/web/blobs/uploads/`, { method: 'POST' });
    await expectRefusal(pushUpload, `the pull credentials of this registry (${pullUser}) cannot push to apps/web`, 'repository:apps/web:pull,push');
    const remove = await new TokenAuthClient(credential('push')).fetch(`${front.url}/v2/apps/web/manifests/${image.digest}`, { method: 'DELETE' });
    await expectRefusal(
      remove,
      `the push credentials of this registry (${credential('push').username}) cannot delete from apps/web`,
      'repository:apps/web:delete',
    );
    const anonymousUpload = await new TokenAuthClient().fetch(`${anonymousFront.url}/v2/apps/web/blobs/uploads/`, { method: 'POST' });
    await expectRefusal(anonymousUpload, 'anonymous clients of this registry cannot push to apps/web', 'repository:apps/web:pull,push');
  });

  it('refuses wrong credentials at the token service', async () => {
    const wrong = { username: credential('pull').username, password: `${credential('pull').password}x` };
    await expect(pull(front, wrong, 'apps/web', 'v1')).rejects.toThrow(TokenRequestRefused);
    await expect(pull(front, { username: 'nobody', password: credential('push').password }, 'apps/web', 'v1')).rejects.toThrow('HTTP 401');
  });

  it('refuses anonymous pulls unless anonymous pull is on, and never lets anonymous clients push', async () => {
    await expect(pull(front, undefined, 'apps/web', 'v1')).rejects.toThrow('HTTP 401');
    expect(await pull(anonymousFront, undefined, 'apps/web', 'v1', image)).toBe(200);
    const anonymous = new TokenAuthClient();
    await expect(new RegistryPusher(anonymousFront.url, {}, anonymous.fetch).pushManifest('apps/web', buildImage(), 'anon')).rejects.toThrow('HTTP 401');
  });

  it('points the realm of each challenge at the host the client used', async () => {
    for (const host of [`127.0.0.1:${front.port}`, `localhost:${front.port}`]) {
      const response = await fetch(`http://${host}/v2/apps/web/manifests/v1`, { headers: { accept: manifestAccept } });
      await response.arrayBuffer();
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        `Bearer realm="http://${host}/auth/token",service="${name}.${namespace}.dockyard.dev",scope="repository:apps/web:pull"`,
      );
    }
  });

  it('lets the maintainer delete a manifest, and neither the pull nor the push identity', async () => {
    const doomed = buildImage();
    await new RegistryPusher(front.url, {}, new TokenAuthClient(credential('push')).fetch).pushManifest('apps/doomed', doomed, 'old');
    const remove = (role: Role) => new TokenAuthClient(credential(role)).fetch(`${front.url}/v2/apps/doomed/manifests/${doomed.digest}`, { method: 'DELETE' });
    expect((await remove('pull')).status).toBe(401);
    expect((await remove('push')).status).toBe(401);
    expect((await remove('maintainer')).status).toBe(202);
    expect(await pull(front, credential('pull'), 'apps/doomed', doomed.digest)).toBe(404);
  });

  it('accepts old and new pull credentials during a rotation, and only the new one after the overlap', async () => {
    const old = credential('pull');
    // Step 1, the rotation is requested: a new credential is staged and reaches the token service first.
    const rotation = { rotationRequest: 'rotate-1', propagationDelayMs: 1_000, rotation: { period: '720h', overlap: '8s' } };
    const staged = nextPlan(plan, rotation);
    const next = staged.credentials.pull.staged!;
    expect(staged.credentials.pull.published).toEqual(old);
    dockyard.updateIdentities(staged);
    await eventually(async () => (await tokenStatus(front, next)) === 200, {
      what: 'the staged pull credential to be accepted',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    expect(await pull(front, old, 'apps/web', 'v1')).toBe(200);

    // Step 2, after the propagation delay: the new one is handed out, the old one overlaps.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    plan = nextPlan(staged, rotation);
    expect(plan.credentials.pull.published).toEqual(next);
    dockyard.updateIdentities(plan);
    const oldExpiresAt = Date.parse(plan.identities.identities.find((record) => record.username === old.username)!.expiresAt!);
    expect(await pull(front, next, 'apps/web', 'v1', image)).toBe(200);
    expect(await pull(front, old, 'apps/web', 'v1', image)).toBe(200);
    expect(Date.now()).toBeLessThan(oldExpiresAt); // both were checked inside the overlap

    // Step 3, the overlap is over: only the new credential works, with no reload needed.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, oldExpiresAt - Date.now()) + 200));
    await expect(pull(front, old, 'apps/web', 'v1')).rejects.toThrow('HTTP 401');
    expect(await pull(front, next, 'apps/web', 'v1', image)).toBe(200);
    // The rotated push credential pushes too.
    await new RegistryPusher(front.url, {}, new TokenAuthClient(credential('push')).fetch).pushManifest('apps/web', buildImage(), 'v2');
  });

  it('never logs a password, password hash or token', () => {
    const logs = dockyard.authServerLogs();
    expect(logs).toContain('issued a token');
    expect(logs).toContain(credential('pull').username);
    const secrets = [...roles.map((role) => credential(role).password), ...plan.identities.identities.map((record) => record.passwordHash.split('$')[2]!)];
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.eyJ/); // a JWS
  });
});
