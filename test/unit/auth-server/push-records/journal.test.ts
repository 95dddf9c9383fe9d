import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordJournal, type JournalOptions } from '../../../../src/auth-server/push-records/journal.ts';
import type { RecordBook, RecordEvent } from '../../../../src/auth-server/push-records/record-book.ts';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const push = (tag: string, d: number, at: number): RecordEvent => ({ kind: 'push', repository: 'apps/web', tag, digest: digest(d), at });
const log = pino({ level: 'silent' });

function records(book: RecordBook) {
  return book.page({ limit: 10_000 }).records;
}

describe('the push records journal', () => {
  let directory: string;
  const open = (overrides: Partial<JournalOptions> = {}) =>
    RecordJournal.open({ directory, instance: 'door-a', flushIntervalMs: 60_000, compactAfterLines: 1000, log, now: () => 1_000, ...overrides });

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'dockyard-records-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('gives back after a restart what was flushed before it, and when recording began', async () => {
    const { journal } = await open();
    journal.record(push('v1', 1, 2_000));
    journal.record({ kind: 'pull', repository: 'apps/web', tag: 'v1', digest: digest(1), at: 3_000 });
    await journal.flush();
    // No close: a crash after the flush.
    const { journal: again, loaded } = await open({ now: () => 9_000 });
    expect(loaded.events).toBe(2);
    expect(records(again.book)).toEqual(records(journal.book));
    expect(again.book.started).toBe(1_000);
    await again.close();
    await journal.close();
  });

  it('loses nothing across a clean shutdown and reads one snapshot at the next start', async () => {
    const { journal } = await open();
    for (let i = 0; i < 50; i++) journal.record(push(`v${i}`, i, 2_000 + i));
    await journal.close();
    expect((await readdir(directory)).sort()).toEqual(['door-a.snapshot.ndjson']);
    const { journal: again, loaded } = await open();
    expect(loaded).toMatchObject({ files: 1, records: 100, events: 0, skippedLines: 0 });
    expect(records(again.book)).toHaveLength(100);
    await again.close();
  });

  it('skips a line cut short by a crash and keeps every whole one', async () => {
    const { journal } = await open();
    journal.record(push('v1', 1, 2_000));
    journal.record(push('v2', 2, 2_001));
    await journal.flush();
    await appendFile(join(directory, 'door-a.journal.ndjson'), '{"e":"push","r":"apps/web","t":"v3","d":"sha256:00');
    const { journal: again, loaded } = await open();
    expect(loaded.skippedLines).toBe(1);
    expect(records(again.book).map((record) => record.tag ?? 'digest')).toEqual(['v1', 'v2', 'digest', 'digest']);
    await again.close();
    await journal.close();
  });

  it('writes one line per record touched between flushes, however often it was pulled', async () => {
    const { journal } = await open();
    for (let i = 0; i < 500; i++) journal.record({ kind: 'pull', repository: 'apps/web', tag: 'latest', digest: digest(1), at: 2_000 + i });
    await journal.flush();
    const lines = (await readFile(join(directory, 'door-a.journal.ndjson'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ e: 'pull', t: 'latest', at: 2_499 });
    await journal.close();
  });

  it('compacts the journal into the snapshot once it passes its bound', async () => {
    const { journal } = await open({ compactAfterLines: 100 });
    for (let i = 0; i < 60; i++) journal.record(push(`v${i}`, i, 2_000 + i));
    await journal.flush();
    expect(await readdir(directory)).toContain('door-a.journal.ndjson');
    for (let i = 60; i < 120; i++) journal.record(push(`v${i}`, i, 2_000 + i));
    await journal.flush();
    expect(await readdir(directory)).toEqual(['door-a.snapshot.ndjson']);
    const snapshot = (await readFile(join(directory, 'door-a.snapshot.ndjson'), 'utf8')).trim().split('\n');
    expect(snapshot).toHaveLength(1 + 240);
    const { journal: again } = await open({ instance: 'door-b' });
    expect(records(again.book)).toEqual(records(journal.book));
    await again.close();
    await journal.close();
  });

  it('keeps the disk within the bound: a snapshot of at most maxTags + maxDigests records', async () => {
    const { journal } = await open({ limits: { maxTags: 30, maxDigests: 20 } });
    for (let i = 0; i < 200; i++) journal.record(push(`v${i}`, i, 2_000 + i));
    await journal.close();
    const snapshot = (await readFile(join(directory, 'door-a.snapshot.ndjson'), 'utf8')).trim().split('\n');
    expect(snapshot).toHaveLength(1 + 30 + 20);
    expect(JSON.parse(snapshot[0]!)).toEqual({ v: 1, startedAt: 1_000, evictedUpTo: 2_179 });
  });

  it('takes in what a door beside it records, and the files of a door gone before it', async () => {
    // A door that ran before (a replaced Pod) left a snapshot and a journal.
    await writeFile(
      join(directory, 'old-pod.snapshot.ndjson'),
      `${JSON.stringify({ v: 1, startedAt: 500 })}\n${JSON.stringify({ r: 'apps/web', t: 'old', d: digest(9), p: 600, u: 600 })}\n`,
    );
    await writeFile(join(directory, 'old-pod.journal.ndjson'), `${JSON.stringify({ e: 'pull', r: 'apps/web', t: 'old', d: digest(9), at: 700 })}\n`);
    const { journal: a } = await open();
    expect(records(a.book).find((record) => record.tag === 'old')).toEqual({
      repository: 'apps/web',
      tag: 'old',
      digest: digest(9),
      pushedAt: 600,
      pulledAt: 700,
    });
    expect(a.book.started).toBe(500);
    // Taken in and written into door-a's snapshot: the old door's files are gone.
    expect((await readdir(directory)).sort()).toEqual(['door-a.snapshot.ndjson']);

    const { journal: b } = await open({ instance: 'door-b' });
    b.record(push('from-b', 2, 5_000));
    await b.flush();
    await a.refreshFromPeers();
    expect(records(a.book).some((record) => record.tag === 'from-b')).toBe(true);
    await a.close();
    await b.close();
  });
});
