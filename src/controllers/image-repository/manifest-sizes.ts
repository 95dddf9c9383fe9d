import type { Descriptor, ManifestContent } from '../../oci/manifest.ts';

/** What the size of a repository needs to know of one manifest: its own size and what it refers to. */
export interface ManifestFacts {
  size: number;
  /** Config and layers (blobs), each with its size from the descriptor. */
  blobs: { digest: string; size: number }[];
  /** An index's children (manifests), to be read in turn. */
  children: string[];
}

export function factsOf(size: number, content: ManifestContent): ManifestFacts {
  const blob = (descriptor: Descriptor) => ({ digest: descriptor.digest, size: descriptor.size });
  return {
    size,
    blobs: [...(content.config !== undefined ? [blob(content.config)] : []), ...(content.layers ?? []).map(blob)].filter(
      (entry) => typeof entry.digest === 'string' && Number.isSafeInteger(entry.size) && entry.size >= 0,
    ),
    children: (content.manifests ?? []).map((descriptor) => descriptor.digest).filter((digest) => typeof digest === 'string'),
  };
}

/**
 * Bytes of everything the tags reach: manifests, index children, configs and layers, each digest
 * counted once however many tags or images share it. `facts` answers for every digest reached,
 * or undefined for one the registry no longer has (a child deleted under an index), which counts
 * nothing. Cycles cannot loop: a digest is visited once.
 */
export function repositorySize(roots: Iterable<string>, facts: (digest: string) => ManifestFacts | undefined): number {
  const counted = new Set<string>();
  let total = 0;
  const pending = [...roots];
  while (pending.length > 0) {
    const digest = pending.pop() as string;
    if (counted.has(digest)) continue;
    counted.add(digest);
    const manifest = facts(digest);
    if (manifest === undefined) continue;
    total += manifest.size;
    for (const blob of manifest.blobs) {
      if (counted.has(blob.digest)) continue;
      counted.add(blob.digest);
      total += blob.size;
    }
    pending.push(...manifest.children);
  }
  return total;
}

/**
 * Manifest facts by digest, across reconciles and repositories: content by digest never changes,
 * so a manifest is read once while it stays among the `capacity` most recently used.
 */
export class ManifestFactsCache {
  private readonly entries = new Map<string, ManifestFacts>();

  readonly capacity: number;

  constructor(capacity = 50_000) {
    this.capacity = capacity;
  }

  get(digest: string): ManifestFacts | undefined {
    const facts = this.entries.get(digest);
    if (facts === undefined) return undefined;
    this.entries.delete(digest);
    this.entries.set(digest, facts);
    return facts;
  }

  set(digest: string, facts: ManifestFacts): void {
    this.entries.delete(digest);
    this.entries.set(digest, facts);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
