import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RetentionPolicySpec } from '../../../src/api/v1alpha1/retention-policy.ts';
import { RegistryClient } from '../../../src/oci/client.ts';
import type { CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import { inventoryReadHeader, pushRecordsPath } from '../../../src/registry-auth/pod-contract.ts';
import { readPushRecords, type PushRecordIndex } from '../../../src/retention/runner/read-records.ts';
import { readRegistrySnapshot } from '../../../src/retention/runner/read-registry.ts';
import { runRetention } from '../../../src/retention/runner/run.ts';
import { DockyardRegistry, type RunningAuthServer } from '../../registry/dockyard-registry.ts';
import { buildImage } from '../../registry/images.ts';
import { debianRegistryAvailable, type RegistryFlavor } from '../../registry/local-registry.ts';
import { RegistryPusher } from '../../registry/push.ts';
import { TokenAuthClient } from '../../registry/token-auth.ts';

const day = 86_400_000;
const log = pino({ level: 'silent' });

// Issue 12, push and pull times: the real door in front of real distribution (3.0.0 and 2.8) records
// them, keeps them across restarts and crashes, serves them to the maintainer alone, and a
// retention run ranks by them rather than by the images' created times.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];

describe.skipIf(inject('externalCluster')).each(flavors)('push and pull records at the door (%s)', (flavor) => {
  let dockyard: DockyardRegistry;
  let door: RunningAuthServer;
  let plan: CredentialPlan;
  const pushed: Record<string, { digest: string; before: number; after: number }> = {};
  const now = Date.now();
  const policy = RetentionPolicySpec.parse({
    registryRef: { name: 'main' },
    repositories: ['apps/**'],
    schedule: '0 3 * * *',
    rules: [{ tags: ['v*'], mostRecentlyPushed: 2 }],
    keepInUse: false,
  });

  const maintainerClient = (url: string) =>
    new RegistryClient({
      url,
      credentials: plan.credentials.maintainer.published!,
      repositoryActions: ['pull', 'delete'],
      headers: { [inventoryReadHeader]: 'true' },
    });
  const records = async (url: string): Promise<PushRecordIndex> => {
    const client = maintainerClient(url);
    try {
      const outcome = await readPushRecords(client, () => true);
      if (outcome.records === undefined) throw new Error(outcome.reason);
      return outcome.records;
    } finally {
      await client.close();
    }
  };
  const startDoor = () => dockyard.startAuthServer({ recordsFlushInterval: '100ms', recordsInstance: 'registry-pod-1' });

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    dockyard = await DockyardRegistry.startFresh(flavor, inject('binDir'));
    plan = dockyard.plan;
    // Before Dockyard recorded anything: a door without records.
    const early = await dockyard.startAuthServer({ recordsDir: undefined });
    const earlyPusher = new RegistryPusher(early.url, {}, new TokenAuthClient(plan.credentials.push.published!).fetch);
    await earlyPusher.pushManifest('apps/web', buildImage({ created: new Date(now - 30 * day) }), 'v0');
    await early.process.stop();

    door = await startDoor();
    const pusher = new RegistryPusher(door.url, {}, new TokenAuthClient(plan.credentials.push.published!).fetch);
    // Pushed v1 to v4 in this order, built in the opposite one: v1 is the newest build.
    for (let version = 1; version <= 4; version++) {
      const image = buildImage({ created: new Date(now - version * day) });
      const before = Date.now();
      const digest = await pusher.pushManifest('apps/web', image, `v${version}`);
      pushed[`v${version}`] = { digest, before, after: Date.now() };
      await sleep(5);
    }
  });

  afterAll(async () => {
    await dockyard?.stop();
  });

  it('records each push by tag and digest at the time distribution accepted it', async () => {
    const recorded = await records(door.url);
    for (const [tag, { digest, before, after }] of Object.entries(pushed)) {
      const time = recorded.tag('apps/web', tag, digest)?.pushedAt;
      expect(time, tag).toBeGreaterThanOrEqual(before);
      expect(time, tag).toBeLessThanOrEqual(after);
      expect(recorded.digest('apps/web', digest)?.pushedAt).toBe(time);
    }
    // Pushed before the door recorded: no record, and nothing invented.
    expect(recorded.tag('apps/web', 'v0', pushed['v1']!.digest)).toBeUndefined();
  });

  it('records pulls with the pull credentials, by tag and by digest, but not the maintainer reading every tag', async () => {
    const puller = new TokenAuthClient(plan.credentials.pull.published!);
    const before = Date.now();
    const byTag = await puller.fetch(`${door.url}/v2/apps/web/manifests/v2`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(byTag.status).toBe(200);
    await byTag.arrayBuffer();
    const byDigest = await puller.fetch(`${door.url}/v2/apps/web/manifests/${pushed['v3']!.digest}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(byDigest.status).toBe(200);
    // A retention run's inventory, with the maintainer identity (and without the header).
    const maintainer = new RegistryClient({ url: door.url, credentials: plan.credentials.maintainer.published!, repositoryActions: ['pull'] });
    await readRegistrySnapshot(maintainer, { selects: () => true, needCreatedTimes: true }).finally(() => maintainer.close());

    const recorded = await records(door.url);
    expect(recorded.tag('apps/web', 'v2', pushed['v2']!.digest)?.pulledAt).toBeGreaterThanOrEqual(before);
    expect(recorded.digest('apps/web', pushed['v2']!.digest)?.pulledAt).toBeGreaterThanOrEqual(before);
    // By digest: the digest is credited, not the tag.
    expect(recorded.digest('apps/web', pushed['v3']!.digest)?.pulledAt).toBeGreaterThanOrEqual(before);
    expect(recorded.tag('apps/web', 'v3', pushed['v3']!.digest)?.pulledAt).toBeUndefined();
    expect(recorded.tag('apps/web', 'v1', pushed['v1']!.digest)?.pulledAt).toBeUndefined();
    expect(recorded.digest('apps/web', pushed['v4']!.digest)?.pulledAt).toBeUndefined();
  });

  it('serves the records to the maintainer identity only', async () => {
    // No token: a challenge for the catalog's scope, at this door's token service.
    const bare = await fetch(`${door.url}${pushRecordsPath}`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer realm="${door.url}/auth/token",service="main.team-a.dockyard.dev",scope="registry:catalog:*"`);
    await bare.arrayBuffer();
    for (const role of ['pull', 'push'] as const) {
      const client = new RegistryClient({ url: door.url, credentials: plan.credentials[role].published! });
      const outcome = await readPushRecords(client, () => true).finally(() => client.close());
      expect(outcome, role).toEqual({
        records: undefined,
        reason: "these credentials may not read the registry's push records (only its maintainer identity may)",
      });
      const raw = await new TokenAuthClient(plan.credentials[role].published!).fetch(`${door.url}${pushRecordsPath}`);
      expect(raw.status, role).toBe(403);
      expect(await raw.json()).toMatchObject({ errors: [{ code: 'DENIED' }] });
    }
    // Pages of a given size follow the Link header to the end.
    const paged = await new TokenAuthClient(plan.credentials.maintainer.published!).fetch(`${door.url}${pushRecordsPath}?n=3`);
    expect(paged.status).toBe(200);
    expect(paged.headers.get('link')).toMatch(/^<\/dockyard\/v1\/push-records\?n=3&last=[^>]+>; rel="next"$/);
    expect(((await paged.json()) as { records: unknown[] }).records).toHaveLength(3);
  });

  it('keeps the records across a restart of the door, and across a crash after a flush', async () => {
    const before = await records(door.url);
    await door.process.stop();
    // A clean shutdown leaves one snapshot, the journal folded into it.
    expect(await readdir(dockyard.recordsDir)).toEqual(['registry-pod-1.snapshot.ndjson']);
    door = await startDoor();
    const after = await records(door.url);
    for (const [tag, { digest }] of Object.entries(pushed)) expect(after.tag('apps/web', tag, digest), tag).toEqual(before.tag('apps/web', tag, digest));
    expect(after.completeSince).toBe(before.completeSince);

    const pusher = new RegistryPusher(door.url, {}, new TokenAuthClient(plan.credentials.push.published!).fetch);
    const digest = await pusher.pushManifest('tools/ci', buildImage(), 'v1');
    // Past the flush interval, then killed without a chance to write a snapshot.
    await sleep(600);
    await door.process.stop('SIGKILL');
    expect((await readdir(dockyard.recordsDir)).sort()).toEqual(['registry-pod-1.journal.ndjson', 'registry-pod-1.snapshot.ndjson']);
    door = await startDoor();
    expect((await records(door.url)).tag('tools/ci', 'v1', digest)?.pushedAt).toBeGreaterThan(0);
  });

  it('a retention run ranks by recorded push time, not by created time, and says where it used created time', async () => {
    const registry = maintainerClient(door.url);
    try {
      const { summary, report } = await runRetention({ rules: policy, dryRun: false, registry, registryHosts: [], cluster: undefined, strategy: 'auto', log });
      expect(summary.outcome).toBe('Succeeded');
      // The two most recently pushed are v3 and v4, though their builds are the oldest; v0 has
      // no record, and its created time (30 days ago) ranks it last.
      expect((await registry.allTags('apps/web')).sort()).toEqual(['v3', 'v4']);
      const reasons = JSON.stringify(report);
      expect(reasons).toContain('createdAsPushTime');
      const web = report!.repositories.find((repository) => repository.name === 'apps/web')!;
      const flagged = JSON.stringify(web).match(/"kind":"createdAsPushTime","tag":"(\w+)"/g) ?? [];
      expect(flagged).toEqual(['"kind":"createdAsPushTime","tag":"v0"']);
    } finally {
      await registry.close();
    }
  });
});
