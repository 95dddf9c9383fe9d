import type { RegistryClient } from '../../oci/client.ts';
import { NotFoundError } from '../../oci/errors.ts';
import { factsOf, repositorySize, type ManifestFacts, type ManifestFactsCache } from './manifest-sizes.ts';

export type Inventory = { found: true; tags: Map<string, string>; sizeBytes: number } | { found: false; message: string };

/**
 * Reads one repository: every page of its tags, a HEAD per tag for its digest, and the manifests
 * (and index children) not yet in `cache`. `beforeRequest` waits for a token of the registry's
 * budget before each request. A repository the registry does not know (404, NAME_UNKNOWN) is
 * `found: false`; a tag or manifest deleted while being read is left out.
 */
export async function readInventory(
  client: RegistryClient,
  repository: string,
  cache: ManifestFactsCache,
  beforeRequest: () => Promise<void>,
): Promise<Inventory> {
  const tags = new Map<string, string>();
  const names: string[] = [];
  try {
    const pages = client.tags(repository);
    while (true) {
      await beforeRequest();
      const page = await pages.next();
      if (page.done) break;
      names.push(...page.value);
    }
  } catch (error) {
    if (error instanceof NotFoundError) return { found: false, message: `the registry has no repository ${repository} yet: ${error.message}`.slice(0, 1024) };
    throw error;
  }
  for (const tag of names) {
    await beforeRequest();
    try {
      tags.set(tag, (await client.headManifest(repository, tag)).digest);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  // Breadth first through indexes: read what the cache lacks, then size from the cache.
  const read = new Map<string, ManifestFacts | undefined>();
  let pending = [...new Set(tags.values())];
  while (pending.length > 0) {
    const next: string[] = [];
    for (const digest of pending) {
      if (read.has(digest)) continue;
      let facts = cache.get(digest);
      if (facts === undefined) {
        await beforeRequest();
        try {
          const manifest = await client.getManifest(repository, digest);
          facts = factsOf(manifest.size, manifest.content);
          cache.set(digest, facts);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
      }
      read.set(digest, facts);
      if (facts !== undefined) next.push(...facts.children);
    }
    pending = next;
  }
  return { found: true, tags, sizeBytes: repositorySize(tags.values(), (digest) => read.get(digest)) };
}
