/**
 * The door's push and pull records in memory: per repository and tag, the digest the tag was last
 * pushed as, when, and when it was last pulled; per repository and digest, the same times for the
 * image whatever tag or digest it was reached by. Bounded: past `maxTags` tags (or `maxDigests`
 * digests) the least recently active record goes, and `recordsCompleteSince` moves past it, so a
 * reader knows from when on the absence of a record means "not pulled".
 *
 * Every change is a time-stamped event, applied so that order does not matter (times only grow; a
 * delete removes only what was pushed before it): replaying journals of several doors, or one
 * door's journal twice, gives the same records.
 */

export type RecordEvent =
  | { kind: 'push'; repository: string; tag?: string | undefined; digest: string; at: number }
  | { kind: 'pull'; repository: string; tag?: string | undefined; digest: string; at: number }
  /** A manifest DELETE that distribution accepted: by tag (3.x untag) or by digest. */
  | { kind: 'delete'; repository: string; tag?: string | undefined; digest?: string | undefined; at: number };

/** One record as the door serves it. Times are milliseconds since the epoch. */
export interface PushRecord {
  repository: string;
  /** Absent for a digest's record. */
  tag?: string;
  digest: string;
  pushedAt?: number;
  pulledAt?: number;
}

/**
 * What is known of a tag or a digest, kept as the latest time of each kind of event, so that
 * merging is taking maxima: commutative and idempotent. What a record says is worked out when it
 * is read (visibleRecord): a delete hides what happened before it, and a tag's pull counts only
 * when it came after the tag's last push (before it, the tag may have named another image).
 */
interface Entry {
  repository: string;
  tag: string | undefined;
  /** A digest's record: the digest. */
  digest: string | undefined;
  pushedAt: number | undefined;
  /** What the tag was last pushed as (for a digest's record, the digest). */
  pushDigest: string | undefined;
  pulledAt: number | undefined;
  pullDigest: string | undefined;
  deletedAt: number | undefined;
  /** The latest event time, which orders eviction. */
  touched: number;
}

/** A record as a snapshot line holds it: the raw maxima. */
export interface StoredRecord {
  repository: string;
  tag?: string | undefined;
  digest?: string | undefined;
  pushedAt?: number | undefined;
  pushDigest?: string | undefined;
  pulledAt?: number | undefined;
  pullDigest?: string | undefined;
  deletedAt?: number | undefined;
  touched: number;
}

export interface RecordBookLimits {
  maxTags: number;
  maxDigests: number;
}

/** The stated bound: 100,000 tags and as many digests, about 60 MiB of heap when full (bench/push-records.ts). */
export const defaultRecordBookLimits: RecordBookLimits = { maxTags: 100_000, maxDigests: 100_000 };

export interface RecordPage {
  records: PushRecord[];
  /** The key to pass as `after` for the next page; undefined on the last one. */
  next: string | undefined;
}

export class RecordBook {
  private readonly limits: RecordBookLimits;
  // Maps iterate in insertion order: an entry is moved to the end when touched, so the first one
  // is the least recently active, which is what eviction takes.
  private readonly tags = new Map<string, Entry>();
  private readonly digests = new Map<string, Entry>();
  private sortedKeys: string[] | undefined;
  /** When recording started (the oldest journal's start). */
  private startedAt: number;
  /** The latest activity among evicted records: before it, a missing record proves nothing. */
  private evictedUpTo: number | undefined;

  constructor(startedAt: number, limits: RecordBookLimits = defaultRecordBookLimits) {
    this.startedAt = startedAt;
    this.limits = limits;
  }

  get size(): { tags: number; digests: number } {
    return { tags: this.tags.size, digests: this.digests.size };
  }

  /** From when on a pull (or push) that happened is sure to have a record. */
  get recordsCompleteSince(): number {
    return Math.max(this.startedAt, (this.evictedUpTo ?? -1) + 1);
  }

  get started(): number {
    return this.startedAt;
  }

  get evictedUntil(): number | undefined {
    return this.evictedUpTo;
  }

  /** Takes in what another journal knew: an earlier start and a later eviction horizon. */
  mergeHorizons(startedAt: number, evictedUpTo: number | undefined): void {
    this.startedAt = Math.min(this.startedAt, startedAt);
    if (evictedUpTo !== undefined) this.evictedUpTo = Math.max(this.evictedUpTo ?? evictedUpTo, evictedUpTo);
  }

  apply(event: RecordEvent): void {
    const base = { repository: event.repository, touched: event.at };
    const times =
      event.kind === 'push'
        ? { pushedAt: event.at, pushDigest: event.digest }
        : event.kind === 'pull'
          ? { pulledAt: event.at, pullDigest: event.digest }
          : { deletedAt: event.at };
    if (event.digest !== undefined && (event.kind !== 'delete' || event.tag === undefined)) {
      this.merge(this.digests, digestKey(event.repository, event.digest), this.limits.maxDigests, { ...base, ...times, digest: event.digest });
    }
    if (event.tag !== undefined) this.merge(this.tags, tagKey(event.repository, event.tag), this.limits.maxTags, { ...base, ...times, tag: event.tag });
  }

  /** Restores one record as a snapshot holds it (the same merge as events). */
  restore(record: StoredRecord): void {
    if (record.tag === undefined) {
      if (record.digest !== undefined) this.merge(this.digests, digestKey(record.repository, record.digest), this.limits.maxDigests, record);
    } else this.merge(this.tags, tagKey(record.repository, record.tag), this.limits.maxTags, record);
  }

  /** Every record as stored, least recently active first (the order a snapshot keeps). */
  *entries(): Generator<StoredRecord> {
    for (const map of [this.tags, this.digests]) for (const entry of map.values()) yield { ...entry };
  }

  /**
   * Up to `limit` records in key order after the key `after`, of one repository if given. Keys
   * are `repository:tag` and `repository@digest`, so a repository's records are contiguous.
   */
  page(options: { after?: string | undefined; limit: number; repository?: string | undefined }): RecordPage {
    const keys = this.keysInOrder();
    const prefix = options.repository;
    const inScope = (key: string) => prefix === undefined || key.startsWith(`${prefix}:`) || key.startsWith(`${prefix}@`);
    let index = options.after === undefined ? 0 : upperBound(keys, options.after);
    if (prefix !== undefined) index = Math.max(index, lowerBound(keys, `${prefix}:`));
    const records: PushRecord[] = [];
    for (; index < keys.length && records.length < options.limit && inScope(keys[index]!); index++) {
      const key = keys[index]!;
      const entry = this.tags.get(key) ?? this.digests.get(key);
      const record = entry === undefined ? undefined : visibleRecord(entry);
      if (record !== undefined) records.push(record);
    }
    const more = index < keys.length && inScope(keys[index]!);
    return { records, next: more && index > 0 ? keys[index - 1] : undefined };
  }

  private keysInOrder(): string[] {
    if (this.sortedKeys === undefined) this.sortedKeys = [...this.tags.keys(), ...this.digests.keys()].sort(compareKeys);
    return this.sortedKeys;
  }

  private merge(map: Map<string, Entry>, key: string, max: number, incoming: StoredRecord): void {
    let current = map.get(key);
    if (current === undefined) {
      current = {
        repository: incoming.repository,
        tag: incoming.tag,
        digest: incoming.digest,
        pushedAt: undefined,
        pushDigest: undefined,
        pulledAt: undefined,
        pullDigest: undefined,
        deletedAt: undefined,
        touched: incoming.touched,
      };
      map.set(key, current);
      this.sortedKeys = undefined;
    } else if (incoming.touched >= current.touched) {
      map.delete(key);
      map.set(key, current);
    }
    current.touched = Math.max(current.touched, incoming.touched);
    if (later(incoming.pushedAt, incoming.pushDigest, current.pushedAt, current.pushDigest)) {
      current.pushedAt = incoming.pushedAt;
      current.pushDigest = incoming.pushDigest;
    }
    if (later(incoming.pulledAt, incoming.pullDigest, current.pulledAt, current.pullDigest)) {
      current.pulledAt = incoming.pulledAt;
      current.pullDigest = incoming.pullDigest;
    }
    if (incoming.deletedAt !== undefined && (current.deletedAt === undefined || incoming.deletedAt > current.deletedAt)) current.deletedAt = incoming.deletedAt;
    while (map.size > max) this.evictOldest(map);
  }

  private evictOldest(map: Map<string, Entry>): void {
    const first = map.entries().next();
    if (first.done) return;
    const [key, entry] = first.value;
    map.delete(key);
    this.sortedKeys = undefined;
    this.evictedUpTo = Math.max(this.evictedUpTo ?? entry.touched, entry.touched);
  }
}

/** Whether (at, digest) is later than (than, thanDigest); equal times are ordered by digest, so the outcome never depends on arrival. */
function later(at: number | undefined, digest: string | undefined, than: number | undefined, thanDigest: string | undefined): boolean {
  if (at === undefined) return false;
  if (than === undefined || at > than) return true;
  return at === than && (digest ?? '') > (thanDigest ?? '');
}

export function tagKey(repository: string, tag: string): string {
  return `${repository}:${tag}`;
}

export function digestKey(repository: string, digest: string): string {
  return `${repository}@${digest}`;
}

/** What an entry says: nothing from before its last delete, and a tag's pull only after its last push. Undefined when nothing is left. */
function visibleRecord(entry: Entry): PushRecord | undefined {
  const alive = (at: number | undefined) => at !== undefined && (entry.deletedAt === undefined || at > entry.deletedAt);
  const pushed = alive(entry.pushedAt);
  const pulled = alive(entry.pulledAt) && (entry.tag === undefined || entry.pushedAt === undefined || entry.pulledAt! >= entry.pushedAt);
  if (!pushed && !pulled) return undefined;
  return {
    repository: entry.repository,
    ...(entry.tag !== undefined ? { tag: entry.tag } : {}),
    digest: (entry.digest ?? (pushed ? entry.pushDigest : entry.pullDigest))!,
    ...(pushed ? { pushedAt: entry.pushedAt! } : {}),
    ...(pulled ? { pulledAt: entry.pulledAt! } : {}),
  };
}

// Code-unit order, the same in every locale, so a page's `after` means the same on every call.
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first index whose key is >= key. */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose key is > key. */
function upperBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}
