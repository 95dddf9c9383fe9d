import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { manifestAccept } from '../../../src/oci/media-types.ts';
import type { CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import { writeGatePath } from '../../../src/registry-auth/pod-contract.ts';
import { WriteGateReport } from '../../../src/registry-auth/write-gate.ts';
import { eventually } from '../../support/eventually.ts';
import { DockyardRegistry, type RunningAuthServer } from '../../registry/dockyard-registry.ts';
import { buildImage } from '../../registry/images.ts';
import { debianRegistryAvailable, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';

// Issue 14, the write gate: the door refuses pushes and deletes while the gate in the auth
// Secret stands, even with a token issued before it, and pulls go on; lifting it opens pushes
// again with the same token. Real distribution behind the real `dockyard auth-server`.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];

describe.skipIf(inject('externalCluster')).each(flavors)('the write gate at the door (%s)', (flavor) => {
  let dockyard: DockyardRegistry;
  let door: RunningAuthServer;
  let plan: CredentialPlan;

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    dockyard = await DockyardRegistry.startFresh(flavor, inject('binDir'));
    plan = dockyard.plan;
    door = await dockyard.startAuthServer();
  });

  afterAll(async () => {
    await dockyard?.stop();
  });

  const report = async () => WriteGateReport.parse(await (await fetch(`${door.url}${writeGatePath}`)).json());

  it('refuses pushes and deletes with the maintenance message during the gate, serves pulls, and accepts the same token after', async () => {
    const pusher = new TokenAuthClient(plan.credentials.push.published);
    const maintainer = new TokenAuthClient(plan.credentials.maintainer.published);
    const puller = new TokenAuthClient(plan.credentials.pull.published);
    const before = buildImage();
    const during = buildImage();
    await new RegistryPusher(door.url, {}, pusher.fetch).pushManifest('apps/web', before, 'v1');
    const tokensBefore = pusher.tokens.length;

    const until = new Date(Date.now() + 10 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    dockyard.setWriteGate({ id: 'gc-test', reason: 'garbage collection', since: new Date().toISOString(), until });
    await eventually(async () => (await report()).gateId === 'gc-test', { what: 'the door to apply the gate', timeoutMs: 5_000, intervalMs: 50 });

    const refused = new RegistryPusher(door.url, {}, pusher.fetch).pushManifest('apps/web', during, 'v2');
    await expect(refused).rejects.toThrow(/HTTP 403 .*DENIED.*maintenance \(garbage collection\).*until/);
    // The push token from before the gate was reused: the door refused it, not the token service.
    expect(pusher.tokens.length).toBe(tokensBefore);

    const deleteAttempt = await maintainer.fetch(`${door.url}/v2/apps/web/manifests/${before.digest}`, { method: 'DELETE' });
    expect(deleteAttempt.status).toBe(403);
    expect(Number(deleteAttempt.headers.get('retry-after'))).toBeGreaterThan(500);
    await deleteAttempt.arrayBuffer();

    const pulled = await puller.fetch(`${door.url}/v2/apps/web/manifests/v1`, { headers: { accept: manifestAccept } });
    expect(pulled.status).toBe(200);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(before.bytes)).toBe(true);
    const layer = await puller.fetch(`${door.url}/v2/apps/web/blobs/${before.blobs[0]!.digest}`);
    expect(Buffer.from(await layer.arrayBuffer()).equals(before.blobs[0]!.bytes)).toBe(true);

    dockyard.setWriteGate(undefined);
    await eventually(async () => (await report()).gateId === null, { what: 'the door to lift the gate', timeoutMs: 5_000, intervalMs: 50 });
    await new RegistryPusher(door.url, {}, pusher.fetch).pushManifest('apps/web', during, 'v2');
    const after = await puller.fetch(`${door.url}/v2/apps/web/manifests/v2`, { method: 'HEAD', headers: { accept: manifestAccept } });
    expect(after.status).toBe(200);
    expect((await report()).writesInFlight).toBe(0);
  });
});
