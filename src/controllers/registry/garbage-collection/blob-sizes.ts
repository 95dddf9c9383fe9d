import type { RegistryClient } from '../../../oci/client.ts';
import type { IndependentMark } from './independent-mark.ts';

/** The most repositories one blob is looked for in: past that, its size counts as unknown. */
const maxRepositoriesPerBlob = 20;

/**
 * What the collection will give back, in bytes, as a lower bound: the size the registry reports
 * (HEAD, before the collection) for each blob the dry run found eligible, summed. A blob is asked
 * for in the repositories the mark saw, since the collector names no repository for a blob. The
 * deleted manifests are blobs to the collector too, but no repository serves them as blobs any
 * more: their bytes (a few kB each) and those of a blob no seen repository links are not counted.
 */
export async function eligibleBlobBytes(client: RegistryClient, blobs: readonly string[], mark: IndependentMark): Promise<number> {
  const repositories = [...new Set([...mark.referenced.values()].map((entry) => entry.repository))].slice(0, maxRepositoriesPerBlob);
  const sizes = await Promise.all(
    blobs.map(async (digest) => {
      for (const repository of repositories) {
        const head = await client.headBlob(repository, digest).catch(() => 'absent' as const);
        if (head !== 'absent' && head.size !== undefined) return head.size;
      }
      return 0;
    }),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
