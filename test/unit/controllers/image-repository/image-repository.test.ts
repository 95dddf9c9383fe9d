import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../../src/api/v1alpha1/registry.ts';
import { childNames } from '../../../../src/controllers/common/registry-children.ts';
import { factsOf, ManifestFactsCache, repositorySize, type ManifestFacts } from '../../../../src/controllers/image-repository/manifest-sizes.ts';
import { TokenBucket } from '../../../../src/controllers/image-repository/rate-limiter.ts';
import { refreshDecision, type RefreshInputs } from '../../../../src/controllers/image-repository/refresh.ts';
import { isTargetProblem, readTarget } from '../../../../src/controllers/image-repository/registry-target.ts';
import { composeStatus, type RepositoryContents } from '../../../../src/controllers/image-repository/status.ts';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const registry = (spec: Record<string, unknown>, ready = true) =>
  Registry.parse({
    apiVersion: 'dockyard.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: 'main', namespace: 'team-a' },
    spec,
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'X', message: '', lastTransitionTime: '2026-12-01T00:00:00Z' }] },
  });

describe('repository size', () => {
  it('counts layers shared by two images once, and an index with its children', () => {
    const shared = { digest: digest(100), size: 1000 };
    const facts = new Map<string, ManifestFacts>([
      [digest(1), { size: 10, blobs: [{ digest: digest(201), size: 5 }, shared, { digest: digest(101), size: 300 }], children: [] }],
      [digest(2), { size: 20, blobs: [{ digest: digest(202), size: 6 }, shared], children: [] }],
      [digest(3), { size: 30, blobs: [], children: [digest(1), digest(2)] }],
    ]);
    // Two tags on the index, one on a child: every manifest, config and layer once.
    const size = repositorySize([digest(3), digest(3), digest(1)], (d) => facts.get(d));
    expect(size).toBe(30 + 10 + 20 + 5 + 6 + 1000 + 300);
    expect(repositorySize([digest(2)], (d) => facts.get(d))).toBe(20 + 6 + 1000);
  });

  it('skips a child the registry no longer has and survives an index that names itself', () => {
    const facts = new Map<string, ManifestFacts>([[digest(3), { size: 30, blobs: [], children: [digest(3), digest(9)] }]]);
    expect(repositorySize([digest(3)], (d) => facts.get(d))).toBe(30);
  });

  it('equals the sum over the distinct digests reached, whatever the sharing', () => {
    // Content by digest is fixed, so a blob's size follows from its digest.
    const blob = fc.integer({ min: 1000, max: 1020 }).map((n) => ({ digest: digest(n), size: (n * 7919) % 100_000 }));
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 5000 }), blobs: fc.array(blob, { maxLength: 5 }) }), { minLength: 1, maxLength: 8 }),
        (images) => {
          const facts = new Map(images.map((image, i) => [digest(i), { ...image, children: [] } as ManifestFacts]));
          const sizes = new Map<string, number>();
          for (const image of images) for (const b of image.blobs) if (!sizes.has(b.digest)) sizes.set(b.digest, b.size);
          const expected = images.reduce((sum, image) => sum + image.size, 0) + [...sizes.values()].reduce((a, b) => a + b, 0);
          expect(
            repositorySize(
              images.map((_, i) => digest(i)),
              (d) => facts.get(d),
            ),
          ).toBe(expected);
        },
      ),
    );
  });

  it('reads config and layers from a manifest and children from an index', () => {
    const image = factsOf(500, {
      config: { mediaType: 'c', digest: digest(1), size: 7 },
      layers: [{ mediaType: 'l', digest: digest(2), size: 8 }],
    });
    expect(image).toEqual({
      size: 500,
      blobs: [
        { digest: digest(1), size: 7 },
        { digest: digest(2), size: 8 },
      ],
      children: [],
    });
    expect(factsOf(300, { manifests: [{ mediaType: 'm', digest: digest(5), size: 500 }] }).children).toEqual([digest(5)]);
  });

  it('keeps the most recently used manifests within its capacity', () => {
    const cache = new ManifestFactsCache(2);
    const facts = { size: 1, blobs: [], children: [] };
    cache.set(digest(1), facts);
    cache.set(digest(2), facts);
    cache.get(digest(1));
    cache.set(digest(3), facts);
    expect(cache.size).toBe(2);
    expect(cache.get(digest(2))).toBeUndefined();
    expect(cache.get(digest(1))).toBe(facts);
  });
});

describe('the per-registry token bucket', () => {
  it('grants the burst at once, then one request per 1/rate seconds, in order', () => {
    let now = 0;
    const bucket = new TokenBucket(5, 10, () => now);
    const waits = Array.from({ length: 15 }, () => bucket.reserve());
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits.slice(10)).toEqual([200, 400, 600, 800, 1000]);
    now = 10_000;
    expect(bucket.waitMs()).toBe(0);
  });

  it('never grants more than burst + rate x elapsed requests over any window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 300 }), (gaps) => {
        let now = 0;
        const bucket = new TokenBucket(5, 10, () => now);
        const granted: number[] = [];
        for (const gap of gaps) {
          now += gap;
          granted.push(now + bucket.reserve());
        }
        // Every grant time is when the request may go; count them over the whole span.
        const span = (Math.max(...granted) - 0) / 1000;
        expect(granted.length).toBeLessThanOrEqual(10 + 5 * span + 1e-9);
      }),
    );
  });

  it('gives the token back when the wait is aborted', async () => {
    let now = 0;
    const bucket = new TokenBucket(1, 1, () => now);
    bucket.reserve();
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow();
    now = 1000;
    expect(bucket.waitMs()).toBe(0);
  });
});

describe('when to read a repository', () => {
  const base: RefreshInputs = {
    memory: { at: 0, generation: 1, fingerprint: 'a', session: 's', ok: true, refreshRequest: '1', jitter: 0 },
    generation: 1,
    fingerprint: 'a',
    session: 's',
    refreshRequest: '1',
    now: 60_000,
    periodMs: 600_000,
    recordsPeriodMs: 60_000,
    waitMs: 0,
    maxWaitMs: 2_000,
    deferred: 1,
    requestsPerSecond: 5,
  };
  it('reads on first sight, a new generation, new credentials, a new refresh-now value, changed records, or the end of the period', () => {
    expect(refreshDecision({ ...base, memory: undefined }).action).toBe('read');
    expect(refreshDecision({ ...base, generation: 2 }).action).toBe('read');
    expect(refreshDecision({ ...base, session: 'other' }).action).toBe('read');
    expect(refreshDecision({ ...base, fingerprint: 'b' }).action).toBe('read');
    expect(refreshDecision({ ...base, refreshRequest: '2' }).action).toBe('read');
    expect(refreshDecision({ ...base, refreshRequest: undefined }).action).toBe('wait');
    expect(refreshDecision({ ...base, now: 600_000 }).action).toBe('read');
  });
  it('otherwise waits for the next records listing, or the period where the registry has no records', () => {
    expect(refreshDecision(base)).toEqual({ action: 'wait', afterMs: 60_000 });
    const noRecords = { ...base, fingerprint: undefined, memory: { ...base.memory!, fingerprint: undefined } };
    expect(refreshDecision(noRecords)).toEqual({ action: 'wait', afterMs: 540_000 });
  });
  it('retries a failed read after a minute and gives the worker back while the bucket is empty', () => {
    expect(refreshDecision({ ...base, memory: { ...base.memory!, ok: false, at: 30_000 } })).toEqual({ action: 'wait', afterMs: 30_000 });
    expect(refreshDecision({ ...base, memory: undefined, waitMs: 5_000 })).toEqual({ action: 'wait', afterMs: 5_000 });
    // 5,000 reads in line at 5 requests/s: come back in about 2,000 s, not in a few seconds.
    expect(refreshDecision({ ...base, memory: undefined, waitMs: 5_000, deferred: 5_000 })).toEqual({ action: 'wait', afterMs: 2_000_000 });
  });
});

describe('ImageRepository status', () => {
  const contents = (pushes?: RepositoryContents['pushes']): RepositoryContents => ({
    tags: new Map(Array.from({ length: 12 }, (_, i) => [`v${i}`, digest(i)])),
    sizeBytes: 4096,
    ...(pushes !== undefined ? { pushes } : {}),
  });
  const now = new Date('2026-12-01T20:00:00Z');

  it('reports the figures and the ten newest tags that still point where they were pushed', () => {
    const pushes = Array.from({ length: 12 }, (_, i) => ({ tag: `v${i}`, digest: digest(i), pushedAt: Date.UTC(2026, 11, 1, 0, i) }));
    pushes.push({ tag: 'v0', digest: digest(99), pushedAt: Date.UTC(2026, 11, 1, 5) }); // moved away since
    const status = composeStatus({ generation: 3, previous: undefined, observation: { kind: 'found', contents: contents(pushes) }, now });
    expect(status.tagCount).toBe(12);
    expect(status.sizeBytes).toBe(4096);
    expect(status.observedGeneration).toBe(3);
    expect(status.lastPushTime).toBe('2026-12-01T00:11:00Z');
    expect(status.recentTags?.map((t) => t.tag)).toEqual(['v11', 'v10', 'v9', 'v8', 'v7', 'v6', 'v5', 'v4', 'v3', 'v2']);
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Found'],
      ['Degraded', 'False', 'AsExpected'],
    ]);
  });

  it('invents no push time where the registry keeps no records', () => {
    const status = composeStatus({ generation: 1, previous: undefined, observation: { kind: 'found', contents: contents() }, now });
    expect(status).not.toHaveProperty('lastPushTime');
    expect(status).not.toHaveProperty('recentTags');
  });

  it('says NotFound without Degraded for a repository never pushed, and keeps the last figures through a problem', () => {
    const notFound = composeStatus({ generation: 1, previous: undefined, observation: { kind: 'not-found', message: 'no repository apps/web yet' }, now });
    expect(notFound.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'NotFound'],
      ['Degraded', 'False', 'AsExpected'],
    ]);
    expect(notFound.tagCount).toBe(0);
    const found = composeStatus({ generation: 1, previous: notFound, observation: { kind: 'found', contents: contents() }, now });
    const failed = composeStatus({
      generation: 2,
      previous: found,
      observation: { kind: 'problem', reason: 'Unreachable', message: 'connect ECONNREFUSED' },
      now,
    });
    expect(failed.tagCount).toBe(12);
    expect(failed.observedGeneration).toBe(2);
    expect(failed.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'Unreachable'],
      ['Degraded', 'True', 'Unreachable'],
    ]);
  });
});

describe('how a Registry is read', () => {
  it('reads a managed Registry at its Service with the maintainer identity, and keeps push records', () => {
    const target = readTarget(registry({ storage: { emptyDir: {} } }), 'main', 'cluster.local');
    if (isTargetProblem(target)) throw new Error(target.message);
    expect(target.url).toMatch(/^http:\/\/main[^/]*\.team-a\.svc\.cluster\.local:\d+$/);
    expect(target.credentials?.username).toMatchObject({ name: childNames('main').maintainer, key: 'username' });
    expect(target.pushRecords).toBe(true);
  });
  it('reads an external Registry at its URL with the credentials it names, and names a missing Registry', () => {
    const target = readTarget(registry({ external: { url: 'https://r.example.com', credentialsSecretRef: { name: 'pull' } } }, false), 'main', 'cluster.local');
    if (isTargetProblem(target)) throw new Error(target.message);
    expect(target).toMatchObject({ url: 'https://r.example.com', pushRecords: false, ready: false });
    expect(target.credentials?.password).toMatchObject({ name: 'pull', key: 'password' });
    expect(readTarget(undefined, 'gone', 'cluster.local')).toMatchObject({ reason: 'RegistryNotFound', message: expect.stringContaining('gone') });
  });
});
