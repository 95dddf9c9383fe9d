import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RegistryClient } from '../../oci/client.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../oci/errors.ts';
import { pushRecordsPath } from '../../registry-auth/pod-contract.ts';
import type { PushedTag } from './status.ts';

/** One repository's records: the pushed tags, and a fingerprint that changes with any record (push, move, delete). */
export interface RepositoryRecords {
  pushes: PushedTag[];
  fingerprint: string;
}

/** Every repository's records as one listing of the registry found them. */
export interface RecordsSnapshot {
  readAt: number;
  of(repository: string): RepositoryRecords | undefined;
}

export type RecordsOutcome = { snapshot: RecordsSnapshot } | { snapshot: undefined; reason: string };

const Time = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));
const Page = z.object({
  records: z.array(z.object({ repository: z.string(), tag: z.string().optional(), digest: z.string(), pushedAt: Time.optional() })),
});

/** Pages of 10,000 records: a registry of 100,000 tags and digests is read in about 20 requests. */
const pageSize = '10000';

/**
 * Reads the door's push records of the whole registry, page by page, each page after a token of
 * the registry's budget (`beforePage`). One listing serves every ImageRepository of the registry.
 */
export async function readRecordsSnapshot(client: RegistryClient, beforePage: () => Promise<void>, now: number): Promise<RecordsOutcome> {
  const byRepository = new Map<string, { pushes: PushedTag[]; hash: ReturnType<typeof createHash> }>();
  try {
    const pages = client.listing(pushRecordsPath, { n: pageSize });
    while (true) {
      await beforePage();
      const page = await pages.next();
      if (page.done) break;
      const parsed = Page.safeParse(page.value);
      if (!parsed.success)
        return { snapshot: undefined, reason: `the registry's push records could not be read: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}` };
      for (const record of parsed.data.records) {
        let entry = byRepository.get(record.repository);
        if (entry === undefined) {
          entry = { pushes: [], hash: createHash('sha256') };
          byRepository.set(record.repository, entry);
        }
        entry.hash.update(`${record.tag ?? ''}@${record.digest}@${record.pushedAt ?? ''}\n`);
        if (record.tag !== undefined && record.pushedAt !== undefined) entry.pushes.push({ tag: record.tag, digest: record.digest, pushedAt: record.pushedAt });
      }
    }
  } catch (error) {
    if (error instanceof NotFoundError) return { snapshot: undefined, reason: 'the registry keeps no push records' };
    if (error instanceof ForbiddenError || error instanceof UnauthorizedError)
      return { snapshot: undefined, reason: 'the credentials may not read push records' };
    throw error;
  }
  const records = new Map<string, RepositoryRecords>();
  for (const [repository, entry] of byRepository) records.set(repository, { pushes: entry.pushes, fingerprint: entry.hash.digest('base64url') });
  return { snapshot: { readAt: now, of: (repository) => records.get(repository) } };
}
