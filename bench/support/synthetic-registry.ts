import type { InUseSet, ManifestSnapshot, RegistrySnapshot, TagSnapshot } from '../../src/retention/snapshot.ts';

// A registry shaped like a busy CI's: per repository, release tags (some aliased by `latest` and
// a minor-version tag), multi-arch build indexes with two platform images each, cosign signatures
// on a fifth of the images, and pull records for a tenth. Deterministic for a given size.

const day = 86_400_000;

function digestOf(counter: number): string {
  return `sha256:${counter.toString(16).padStart(64, '0')}`;
}

/** A small linear congruential generator: the same snapshot on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export interface SyntheticRegistry {
  readonly snapshot: RegistrySnapshot;
  readonly inUse: InUseSet;
  readonly tags: number;
  readonly manifests: number;
}

export function syntheticRegistry(options: { repositories: number; tagsPerRepository: number; now: number; inUsePerRepository: number }): SyntheticRegistry {
  const next = random(42);
  let counter = 0;
  let tagCount = 0;
  let manifestCount = 0;
  const repositories = [];
  const references = [];
  for (let r = 0; r < options.repositories; r++) {
    const name = `team-${r % 10}/service-${r}`;
    const tags: TagSnapshot[] = [];
    const manifests: ManifestSnapshot[] = [];
    const pushed = () => options.now - Math.floor(next() * 365 * day);
    const pulled = () => (next() < 0.1 ? options.now - Math.floor(next() * 60 * day) : undefined);
    while (tags.length < options.tagsPerRepository) {
      const kind = next();
      const digest = digestOf(++counter);
      const pushedAt = pushed();
      if (kind < 0.15) {
        // A multi-arch build: an index and two platform images.
        const children = [digestOf(++counter), digestOf(++counter)];
        manifests.push({ digest, mediaType: 'application/vnd.oci.image.index.v1+json', size: 1_000, children });
        for (const child of children)
          manifests.push({ digest: child, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 50_000_000, created: pushedAt });
        tags.push({ name: `build-${tags.length}`, digest, pushedAt, pulledAt: pulled() });
      } else {
        manifests.push({ digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 80_000_000, created: pushedAt - day });
        // A tenth of the images arrive without a push record: their created time stands in.
        tags.push({ name: `v1.${tags.length}`, digest, pushedAt: next() < 0.1 ? undefined : pushedAt, pulledAt: pulled() });
        if (kind > 0.95) tags.push({ name: `release-${tags.length}`, digest, pushedAt });
        if (kind < 0.35) {
          const signature = digestOf(++counter);
          manifests.push({ digest: signature, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 800 });
          tags.push({ name: `${digest.replace(':', '-')}.sig`, digest: signature, pushedAt });
        }
      }
    }
    tags.push({ name: 'latest', digest: tags.at(-1)!.digest });
    for (let u = 0; u < options.inUsePerRepository; u++) {
      const tag = tags[Math.floor(next() * tags.length)]!;
      references.push(
        u % 2 === 0
          ? { repository: name, tag: tag.name, usedBy: `Pod ns-${r}/pod-${u}` }
          : { repository: name, digest: tag.digest, usedBy: `Deployment ns-${r}/app-${u}` },
      );
    }
    tagCount += tags.length;
    manifestCount += manifests.length;
    repositories.push({ name, tags, manifests });
  }
  return {
    snapshot: { repositories, pullRecordsSince: options.now - 400 * day },
    inUse: { references, unparseable: [{ reference: 'team-3/service-3:', usedBy: 'Pod ns-3/broken' }] },
    tags: tagCount,
    manifests: manifestCount,
  };
}
