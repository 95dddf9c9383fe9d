import { z } from 'zod';
import type { RegistryClient } from '../../oci/client.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../oci/errors.ts';
import { pushRecordsPath } from '../../registry-auth/pod-contract.ts';

/**
 * The push and pull times the door of a registry Dockyard runs has recorded
 * (auth-server/push-records/), read through the registry's own address with the maintainer
 * identity, for the repositories a policy selects. Where there are none (an external registry,
 * credentials that may not read them), the run goes on with the images' created times, and says so.
 */
export interface TimeRecord {
  pushedAt?: number;
  pulledAt?: number;
}

export interface PushRecordIndex {
  /** From when on every pull has a record: earlier, the absence of one proves nothing. */
  readonly completeSince: number;
  /** The tag's record, only while it still names `digest` (a tag moved since is not what was recorded). */
  tag(repository: string, tag: string, digest: string): TimeRecord | undefined;
  digest(repository: string, digest: string): TimeRecord | undefined;
}

export type PushRecordsOutcome = { records: PushRecordIndex; count: number } | { records: undefined; reason: string };

const Time = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));
const Page = z.object({
  completeSince: Time,
  records: z.array(z.object({ repository: z.string(), tag: z.string().optional(), digest: z.string(), pushedAt: Time.optional(), pulledAt: Time.optional() })),
});

/** Pages of 10,000: 100,000 tags and their digests in about 20 requests. */
const pageSize = '10000';

export async function readPushRecords(client: RegistryClient, selects: (repository: string) => boolean): Promise<PushRecordsOutcome> {
  const tags = new Map<string, TimeRecord & { digest: string }>();
  const digests = new Map<string, TimeRecord>();
  let completeSince: number | undefined;
  let count = 0;
  try {
    for await (const json of client.listing(pushRecordsPath, { n: pageSize })) {
      const parsed = Page.safeParse(json);
      if (!parsed.success)
        return { records: undefined, reason: `the registry's push records could not be read: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}` };
      // The latest horizon of all pages: records evicted while paging make it later.
      completeSince = Math.max(completeSince ?? parsed.data.completeSince, parsed.data.completeSince);
      for (const record of parsed.data.records) {
        if (!selects(record.repository)) continue;
        const times = {
          ...(record.pushedAt !== undefined ? { pushedAt: record.pushedAt } : {}),
          ...(record.pulledAt !== undefined ? { pulledAt: record.pulledAt } : {}),
        };
        if (record.tag !== undefined) tags.set(`${record.repository}:${record.tag}`, { ...times, digest: record.digest });
        else digests.set(`${record.repository}@${record.digest}`, times);
        count += 1;
      }
    }
  } catch (error) {
    if (error instanceof NotFoundError)
      return { records: undefined, reason: 'the registry keeps no push records (it is not one Dockyard runs, or its door predates them)' };
    if (error instanceof ForbiddenError || error instanceof UnauthorizedError)
      return { records: undefined, reason: "these credentials may not read the registry's push records (only its maintainer identity may)" };
    throw error;
  }
  if (completeSince === undefined) return { records: undefined, reason: 'the registry answered no page of push records' };
  return {
    count,
    records: {
      completeSince,
      tag: (repository, tag, digest) => {
        const record = tags.get(`${repository}:${tag}`);
        if (record === undefined || record.digest !== digest) return undefined;
        return {
          ...(record.pushedAt !== undefined ? { pushedAt: record.pushedAt } : {}),
          ...(record.pulledAt !== undefined ? { pulledAt: record.pulledAt } : {}),
        };
      },
      digest: (repository, digest) => digests.get(`${repository}@${digest}`),
    },
  };
}
