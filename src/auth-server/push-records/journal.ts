import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { defaultRecordBookLimits, RecordBook, type RecordBookLimits, type RecordEvent, type StoredRecord } from './record-book.ts';

/**
 * Where the door's records live on disk: per door (instance), a snapshot written whole and
 * renamed into place, and a journal of the events since, appended in batches. A door starts from
 * every snapshot and journal in the directory (its own from before a restart, and those of doors
 * that ran before it or beside it on shared storage), writes them into one snapshot of its own,
 * and removes what it has taken in. Lines that do not parse (a write cut short by a crash) are
 * skipped and counted, never fatal.
 *
 * Costs: no write per request; one append (and fdatasync) per flush interval holding at most one
 * line per record touched since; a snapshot when the journal passes `compactAfterLines`, at
 * start and at shutdown. On disk: a snapshot of at most maxTags + maxDigests lines (about 170
 * bytes each) plus a journal of at most compactAfterLines lines.
 */
export interface JournalOptions {
  directory: string;
  /** This door's name among those sharing the directory: the Pod's name. */
  instance: string;
  flushIntervalMs: number;
  compactAfterLines: number;
  limits?: RecordBookLimits;
  log: Logger;
  now?: () => number;
}

export interface LoadSummary {
  files: number;
  records: number;
  events: number;
  skippedLines: number;
}

const snapshotSuffix = '.snapshot.ndjson';
const journalSuffix = '.journal.ndjson';
const pendingFlushThreshold = 20_000;

export class RecordJournal {
  readonly book: RecordBook;
  private readonly options: JournalOptions;
  private pending = new Map<string, RecordEvent>();
  private journalLines = 0;
  /** What has been read of each peer file (its mtime), so a file is read again only when it changed. */
  private readonly peerFilesRead = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  private constructor(options: JournalOptions, book: RecordBook) {
    this.options = options;
    this.book = book;
  }

  /** Loads what the directory holds, writes this door's snapshot of it, and starts flushing. */
  static async open(options: JournalOptions): Promise<{ journal: RecordJournal; loaded: LoadSummary }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(options.instance)) throw new Error(`instance name ${JSON.stringify(options.instance)} is not a file name`);
    await mkdir(options.directory, { recursive: true });
    const now = options.now ?? Date.now;
    const journal = new RecordJournal(options, new RecordBook(now(), options.limits ?? defaultRecordBookLimits));
    const loaded = await journal.readFiles(true);
    await journal.compact();
    journal.timer = setInterval(() => void journal.flush(), options.flushIntervalMs);
    journal.timer.unref();
    return { journal, loaded };
  }

  /** Applies an event now; it reaches the disk at the next flush. */
  record(event: RecordEvent): void {
    this.book.apply(event);
    const key = `${event.kind} ${event.repository} ${event.tag ?? ''} ${event.digest ?? ''}`;
    this.pending.delete(key);
    this.pending.set(key, event);
    // Once per batch that fills up, not once per event after it did.
    if (this.pending.size === pendingFlushThreshold) void this.flush();
  }

  /** Takes in what doors sharing the directory wrote since it was last read. */
  refreshFromPeers(): Promise<void> {
    return this.serially(async () => {
      await this.readFiles(false);
    });
  }

  flush(): Promise<void> {
    return this.serially(async () => {
      await this.appendPending();
      if (this.journalLines >= this.options.compactAfterLines) await this.writeSnapshot();
    });
  }

  compact(): Promise<void> {
    return this.serially(() => this.writeSnapshot());
  }

  /** Stops the timer and writes a final snapshot, so the next start reads one file. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.compact();
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task).catch((error: unknown) => {
      this.options.log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'could not write the push records; they stay in memory and are retried',
      );
    });
    this.queue = run;
    return run;
  }

  private path(instance: string, suffix: string): string {
    return join(this.options.directory, `${instance}${suffix}`);
  }

  private async appendPending(): Promise<void> {
    if (this.pending.size === 0) return;
    const events = this.pending;
    this.pending = new Map();
    const text = [...events.values()].map((event) => `${JSON.stringify(eventLine(event))}\n`).join('');
    try {
      const file = await open(this.path(this.options.instance, journalSuffix), 'a');
      try {
        await file.writeFile(text);
        await file.datasync();
      } finally {
        await file.close();
      }
    } catch (error) {
      // Not lost: back in line for the next flush (newer events for the same record win).
      for (const [key, event] of events) if (!this.pending.has(key)) this.pending.set(key, event);
      throw error;
    }
    this.journalLines += events.size;
  }

  /**
   * Writes the whole book to a new snapshot, renames it into place, then removes this door's
   * journal (everything in it was in the book before the snapshot began) and the peers' files
   * that have not changed since they were read (their content is in the book too).
   */
  private async writeSnapshot(): Promise<void> {
    // Events recorded while the snapshot is written go to the journal afterwards; those before
    // are in the book, so in the snapshot, and go back in line only if it cannot be written.
    const carried = this.pending;
    this.pending = new Map();
    try {
      await this.writeSnapshotFile();
    } catch (error) {
      for (const [key, event] of carried) if (!this.pending.has(key)) this.pending.set(key, event);
      throw error;
    }
    await unlink(this.path(this.options.instance, journalSuffix)).catch(ignoreMissing);
    this.journalLines = 0;
    for (const [name, mtime] of this.peerFilesRead) {
      const path = join(this.options.directory, name);
      const current = await stat(path).catch(() => undefined);
      if (current !== undefined && current.mtimeMs > mtime) continue;
      await unlink(path).catch(ignoreMissing);
      this.peerFilesRead.delete(name);
    }
  }

  private async writeSnapshotFile(): Promise<void> {
    const target = this.path(this.options.instance, snapshotSuffix);
    const temporary = `${target}.tmp`;
    const file = await open(temporary, 'w');
    try {
      const header = { v: 1, startedAt: this.book.started, ...(this.book.evictedUntil !== undefined ? { evictedUpTo: this.book.evictedUntil } : {}) };
      let chunk = `${JSON.stringify(header)}\n`;
      for (const record of this.book.entries()) {
        chunk += `${JSON.stringify(snapshotLine(record))}\n`;
        if (chunk.length >= 256 * 1024) {
          await file.write(chunk);
          chunk = '';
        }
      }
      await file.write(chunk);
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  }

  /** Reads snapshots, then journals: this door's own only at start, peers' whenever they changed. */
  private async readFiles(includeOwn: boolean): Promise<LoadSummary> {
    const summary: LoadSummary = { files: 0, records: 0, events: 0, skippedLines: 0 };
    const names = (await readdir(this.options.directory)).filter((name) => name.endsWith(snapshotSuffix) || name.endsWith(journalSuffix));
    const own = new Set([`${this.options.instance}${snapshotSuffix}`, `${this.options.instance}${journalSuffix}`]);
    const ordered = [...names.filter((name) => name.endsWith(snapshotSuffix)), ...names.filter((name) => name.endsWith(journalSuffix))];
    for (const name of ordered) {
      const isOwn = own.has(name);
      if (isOwn && !includeOwn) continue;
      const path = join(this.options.directory, name);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) continue;
      if (!isOwn && this.peerFilesRead.get(name) === info.mtimeMs) continue;
      await this.readFile(path, name.endsWith(snapshotSuffix), summary);
      summary.files += 1;
      if (!isOwn) this.peerFilesRead.set(name, info.mtimeMs);
    }
    if (summary.skippedLines > 0)
      this.options.log.warn({ skippedLines: summary.skippedLines }, 'skipped unreadable lines of the push records (a write cut short)');
    return summary;
  }

  private async readFile(path: string, snapshot: boolean, summary: LoadSummary): Promise<void> {
    const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
    let first = true;
    try {
      for await (const line of lines) {
        if (line === '') continue;
        const parsed = parseLine(line);
        if (snapshot && first) {
          first = false;
          if (parsed?.type === 'header') {
            this.book.mergeHorizons(parsed.startedAt, parsed.evictedUpTo);
            continue;
          }
        }
        if (parsed?.type === 'record') {
          this.book.restore(parsed.record);
          summary.records += 1;
        } else if (parsed?.type === 'event') {
          this.book.apply(parsed.event);
          summary.events += 1;
        } else summary.skippedLines += 1;
      }
    } catch (error) {
      // A file removed or cut while read (a peer compacting): what was read stands.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

type ParsedLine =
  | { type: 'header'; startedAt: number; evictedUpTo: number | undefined }
  | { type: 'record'; record: StoredRecord }
  | { type: 'event'; event: RecordEvent };

interface Line {
  v?: unknown;
  startedAt?: unknown;
  evictedUpTo?: unknown;
  e?: unknown;
  r?: unknown;
  t?: unknown;
  d?: unknown;
  at?: unknown;
  p?: unknown;
  g?: unknown;
  gd?: unknown;
  x?: unknown;
  u?: unknown;
}

function parseLine(text: string): ParsedLine | undefined {
  let line: Line;
  try {
    line = JSON.parse(text) as Line;
  } catch {
    return undefined;
  }
  if (line === null || typeof line !== 'object') return undefined;
  if (line.v === 1) {
    if (!isTime(line.startedAt) || (line.evictedUpTo !== undefined && !isTime(line.evictedUpTo))) return undefined;
    return { type: 'header', startedAt: line.startedAt, evictedUpTo: line.evictedUpTo };
  }
  if (typeof line.r !== 'string' || (line.t !== undefined && typeof line.t !== 'string') || (line.d !== undefined && typeof line.d !== 'string'))
    return undefined;
  const tag = line.t;
  if (line.e !== undefined) {
    if (!isTime(line.at)) return undefined;
    if (line.e === 'delete') return { type: 'event', event: { kind: 'delete', repository: line.r, tag, digest: line.d, at: line.at } };
    if ((line.e !== 'push' && line.e !== 'pull') || line.d === undefined) return undefined;
    return { type: 'event', event: { kind: line.e, repository: line.r, tag, digest: line.d, at: line.at } };
  }
  const times = [line.p, line.g, line.x].filter((value) => value !== undefined);
  if (!isTime(line.u) || !times.every(isTime) || (line.gd !== undefined && typeof line.gd !== 'string')) return undefined;
  const pushDigest = line.d;
  const pullDigest = line.gd ?? (line.g !== undefined ? line.d : undefined);
  if ((line.p !== undefined && pushDigest === undefined) || (line.g !== undefined && pullDigest === undefined)) return undefined;
  // A digest's record has its digest, whatever else it holds.
  if (tag === undefined && line.d === undefined) return undefined;
  return {
    type: 'record',
    record: {
      repository: line.r,
      tag,
      digest: tag === undefined ? line.d : undefined,
      pushedAt: line.p as number | undefined,
      pushDigest: line.p !== undefined ? pushDigest : undefined,
      pulledAt: line.g as number | undefined,
      pullDigest: line.g !== undefined ? (pullDigest as string) : undefined,
      deletedAt: line.x as number | undefined,
      touched: line.u,
    },
  };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function eventLine(event: RecordEvent): Line {
  return {
    e: event.kind,
    r: event.repository,
    ...(event.tag !== undefined ? { t: event.tag } : {}),
    ...(event.digest !== undefined ? { d: event.digest } : {}),
    at: event.at,
  };
}

/** A stored record in few bytes: the pull's digest is written only where it differs from the push's. */
function snapshotLine(record: StoredRecord): Line {
  const digest = record.digest ?? record.pushDigest ?? record.pullDigest;
  return {
    r: record.repository,
    ...(record.tag !== undefined ? { t: record.tag } : {}),
    ...(digest !== undefined ? { d: digest } : {}),
    ...(record.pushedAt !== undefined ? { p: record.pushedAt } : {}),
    ...(record.pulledAt !== undefined ? { g: record.pulledAt } : {}),
    ...(record.pullDigest !== undefined && record.pullDigest !== digest ? { gd: record.pullDigest } : {}),
    ...(record.deletedAt !== undefined ? { x: record.deletedAt } : {}),
    u: record.touched,
  };
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
