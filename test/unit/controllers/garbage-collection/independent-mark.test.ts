import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type IndependentMark,
  type MarkReader,
  markRegistry,
  type VerifyReader,
  verifyMark,
} from '../../../../src/controllers/registry/garbage-collection/independent-mark.ts';
import type { Manifest, ManifestContent } from '../../../../src/oci/manifest.ts';
import { mediaTypes } from '../../../../src/oci/media-types.ts';

// Dockyard's mark reads a registry with many reads in flight; what it finds must not depend on
// which answer arrives first. Random registries (images sharing layers, indexes, referrers of
// referrers, untagged leftovers, a manifest in several repositories) are served from memory with
// fast-check's scheduler choosing the order every answer arrives in, and the mark is compared
// with a plain walk of the same graph.

interface ShapeManifest {
  kind: 'image' | 'index' | 'referrer';
  blobs: number[];
  /** Earlier manifests: an index's children, or (first only) a referrer's subject. */
  refers: number[];
}
interface ShapeRepository {
  /** Tag `t<i>` points at manifest tags[i]. */
  tags: number[];
  /** Which manifests the repository stores beyond what its tags need (leftovers, referrers). */
  extra: boolean[];
}
interface Shape {
  manifests: ShapeManifest[];
  repositories: ShapeRepository[];
}

const blobPool = 5;
const shape: fc.Arbitrary<Shape> = fc.integer({ min: 1, max: 8 }).chain((manifestCount) =>
  fc.record({
    manifests: fc.tuple(
      ...Array.from({ length: manifestCount }, (_, index) =>
        fc.record({
          kind: index === 0 ? fc.constant<ShapeManifest['kind']>('image') : fc.constantFrom<ShapeManifest['kind']>('image', 'index', 'referrer'),
          blobs: fc.uniqueArray(fc.integer({ min: 0, max: blobPool - 1 }), { minLength: 1, maxLength: 3 }),
          refers: index === 0 ? fc.constant<number[]>([]) : fc.uniqueArray(fc.integer({ min: 0, max: index - 1 }), { minLength: 1, maxLength: 3 }),
        }),
      ),
    ),
    repositories: fc.array(
      fc.record({
        tags: fc.array(fc.integer({ min: 0, max: manifestCount - 1 }), { maxLength: 5 }),
        extra: fc.array(fc.boolean(), { minLength: manifestCount, maxLength: manifestCount }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
);

const blobDigest = (index: number) => `sha256:${createHash('sha256').update(`blob ${index}`).digest('hex')}`;
const descriptor = (mediaType: string, digest: string) => ({ mediaType, digest, size: 10 });

interface BuiltRegistry {
  names: string[];
  documents: Array<{ digest: string; bytes: Buffer; content: ManifestContent }>;
  /** Per repository: tag -> manifest index, and the manifests stored. */
  repositories: Map<string, { tags: Map<string, number>; stored: Set<number> }>;
}

/** Content addressing, bottom up: a manifest names only digests that existed before it. */
function build(input: Shape): BuiltRegistry {
  const documents: BuiltRegistry['documents'] = [];
  for (const manifest of input.manifests) {
    const layers = manifest.blobs.map((blob) => descriptor('application/vnd.oci.image.layer.v1.tar', blobDigest(blob)));
    const content: ManifestContent =
      manifest.kind === 'index'
        ? {
            schemaVersion: 2,
            mediaType: mediaTypes.ociIndex,
            manifests: manifest.refers.map((child) => descriptor(mediaTypes.ociManifest, documents[child]!.digest)),
          }
        : {
            schemaVersion: 2,
            mediaType: mediaTypes.ociManifest,
            config: layers[0]!,
            layers: layers.slice(1),
            ...(manifest.kind === 'referrer' ? { subject: descriptor(mediaTypes.ociManifest, documents[manifest.refers[0]!]!.digest) } : {}),
          };
    const bytes = Buffer.from(JSON.stringify(content));
    documents.push({ digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes, content });
  }
  const repositories: BuiltRegistry['repositories'] = new Map();
  const names = input.repositories.map((_, index) => `apps/repo-${index}`);
  input.repositories.forEach((repository, index) => {
    const stored = new Set(repository.tags);
    repository.extra.forEach((kept, manifest) => {
      if (kept) stored.add(manifest);
    });
    // A registry refuses an index whose children it lacks: store them, latest first, so children of children follow.
    for (let manifest = input.manifests.length - 1; manifest >= 0; manifest--) {
      if (stored.has(manifest) && input.manifests[manifest]!.kind === 'index') for (const child of input.manifests[manifest]!.refers) stored.add(child);
    }
    repositories.set(names[index]!, { tags: new Map(repository.tags.map((manifest, tag) => [`t${tag}`, manifest])), stored });
  });
  return { names, documents, repositories };
}

/** The mark by its definition: a plain walk, one repository after another, the first repository to reach a digest named for it. */
function expectedMark(registry: BuiltRegistry, input: Shape): IndependentMark {
  const mark: IndependentMark = { tags: new Map(), referenced: new Map() };
  for (const name of registry.names) {
    const { tags, stored } = registry.repositories.get(name)!;
    const reached = new Map<string, 'manifest' | 'blob'>();
    const pending = [...tags.values()];
    while (pending.length > 0) {
      const index = pending.pop()!;
      const { digest, content } = registry.documents[index]!;
      if (reached.get(digest) === 'manifest') continue;
      reached.set(digest, 'manifest');
      for (const blob of [content.config, ...(content.layers ?? [])]) if (blob !== undefined && !reached.has(blob.digest)) reached.set(blob.digest, 'blob');
      if (input.manifests[index]!.kind === 'index') pending.push(...input.manifests[index]!.refers);
      for (const other of stored) if (registry.documents[other]!.content.subject?.digest === digest) pending.push(other);
    }
    for (const [tag, index] of tags) mark.tags.set(`${name}:${tag}`, registry.documents[index]!.digest);
    for (const digest of [...reached.keys()].sort())
      if (!mark.referenced.has(digest)) mark.referenced.set(digest, { repository: name, kind: reached.get(digest)! });
  }
  return mark;
}

/** Counts the reads in flight; `answer` decides when each is answered. */
class Answers {
  inFlight = 0;
  maxInFlight = 0;
  private readonly wait: () => Promise<unknown>;
  constructor(wait: () => Promise<unknown>) {
    this.wait = wait;
  }
  async answer<T>(work: () => T): Promise<T> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.wait();
      return work();
    } finally {
      this.inFlight -= 1;
    }
  }
}

function readerOf(registry: BuiltRegistry, answers: Answers): MarkReader {
  const repository = (name: string) => registry.repositories.get(name) ?? fail(`no repository ${name}`);
  return {
    async *repositories() {
      for (let start = 0; start < registry.names.length; start += 2) yield await answers.answer(() => registry.names.slice(start, start + 2));
    },
    allTags: (name) => answers.answer(() => [...repository(name).tags.keys()]),
    getManifest: (name, reference) =>
      answers.answer((): Manifest => {
        const { tags, stored } = repository(name);
        const index = tags.get(reference) ?? [...stored].find((candidate) => registry.documents[candidate]!.digest === reference);
        if (index === undefined || !stored.has(index)) fail(`${name}:${reference} is not stored`);
        const { digest, bytes, content } = registry.documents[index]!;
        return { digest, mediaType: content.mediaType, size: bytes.length, bytes, content };
      }),
    referrers: (name, digest) =>
      answers.answer(() => ({
        referrers: [...repository(name).stored]
          .map((index) => registry.documents[index]!)
          .filter((document) => document.content.subject?.digest === digest)
          .map((document) => descriptor(mediaTypes.ociManifest, document.digest)),
        source: 'referrers-api' as const,
      })),
  };
}

function fail(message: string): never {
  throw new Error(message);
}

const concurrency = fc.record({ repositories: fc.integer({ min: 1, max: 4 }), tagsPerRepository: fc.integer({ min: 1, max: 6 }) });

describe('markRegistry', () => {
  it('finds every tag and everything the tags reach, the same whatever order the answers arrive in, within its bound of reads in flight', async () => {
    await fc.assert(
      fc.asyncProperty(shape, concurrency, fc.scheduler(), async (input, limits, scheduler) => {
        const registry = build(input);
        const expected = expectedMark(registry, input);
        const answers = new Answers(() => scheduler.schedule(Promise.resolve()));
        const mark = await scheduler.waitFor(markRegistry(readerOf(registry, answers), limits));
        // Same entries in the same order: the order feeds the verification's report.
        expect([...mark.tags]).toEqual([...expected.tags]);
        expect([...mark.referenced]).toEqual([...expected.referenced]);
        expect(answers.maxInFlight).toBeLessThanOrEqual(limits.repositories * limits.tagsPerRepository);
        // One read at a time gives the same mark.
        const sequential = await markRegistry(readerOf(registry, new Answers(() => Promise.resolve())), { repositories: 1, tagsPerRepository: 1 });
        expect([...sequential.referenced]).toEqual([...mark.referenced]);
      }),
      { numRuns: 200 },
    );
  });

  it('fails when a read fails, rather than reporting a partial mark', async () => {
    const registry = build({ manifests: [{ kind: 'image', blobs: [0, 1], refers: [] }], repositories: [{ tags: [0], extra: [false] }] });
    const reader = readerOf(registry, new Answers(() => Promise.resolve()));
    const broken: MarkReader = { ...reader, getManifest: async () => fail('connection reset') };
    await expect(markRegistry(broken)).rejects.toThrow('connection reset');
  });
});

describe('verifyMark', () => {
  it('reports exactly the moved tags, the tags whose manifest went, and the missing manifests and blobs, in the mark order, within its bound of checks in flight', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.infiniteStream(fc.nat(9)), fc.integer({ min: 1, max: 8 }), fc.scheduler(), async (input, draws, limit, scheduler) => {
        const registry = build(input);
        const mark = expectedMark(registry, input);
        const moved = new Map([...mark.tags].filter(() => draws.next().value === 0).map(([reference]) => [reference, blobDigest(99)]));
        const missing = new Set([...mark.referenced.keys()].filter(() => draws.next().value < 2));
        const answers = new Answers(() => scheduler.schedule(Promise.resolve()));
        const present = (digest: string) => (missing.has(digest) ? fail(`${digest} is not served`) : { digest, mediaType: undefined, size: undefined });
        const askedByDigest = new Set<string>();
        const reader: VerifyReader = {
          headManifest: (repository, reference) =>
            answers.answer(() => {
              if (!reference.startsWith('sha256:')) return present(moved.get(`${repository}:${reference}`) ?? mark.tags.get(`${repository}:${reference}`)!);
              askedByDigest.add(`${repository}@${reference}`);
              return present(reference);
            }),
          headBlob: (_, digest) => answers.answer(() => (missing.has(digest) ? ('absent' as const) : { size: 10 })),
        };
        const failures = await scheduler.waitFor(verifyMark(reader, mark, limit));
        expect(failures).toEqual([
          ...[...mark.tags].flatMap(([reference, was]) =>
            moved.has(reference) ? [`${reference} (now ${blobDigest(99)}, was ${was})`] : missing.has(was) ? [reference] : [],
          ),
          ...[...mark.referenced].filter(([digest]) => missing.has(digest)).map(([digest, { repository }]) => `${repository}@${digest}`),
        ]);
        expect(answers.maxInFlight).toBeLessThanOrEqual(limit);
        // A tag that resolved to its manifest proved it served: no second request for it by digest.
        const resolved = [...mark.tags].filter(([reference, was]) => !moved.has(reference) && !missing.has(was));
        for (const [reference, digest] of resolved) expect(askedByDigest).not.toContain(`${reference.slice(0, reference.lastIndexOf(':'))}@${digest}`);
      }),
      { numRuns: 200 },
    );
  });
});
