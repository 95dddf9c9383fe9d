// The door's push records at their bound (issue 12): 100,000 tags and 100,000 digests in 100
// repositories, then a steady stream of pulls. Heap the records hold, time to record, size and
// time of a snapshot, time to load it at a restart, and time to page through all of them as a
// retention run does. No registry: the journal on a temporary directory.
//   node bench/push-records.ts [tags=100000]
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { RecordJournal } from '../src/auth-server/push-records/journal.ts';

const tags = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(tags) || tags < 1) throw new Error(`expected a positive integer, got ${JSON.stringify(process.argv[2])}`);

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const heapMiB = () => {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const log = pino({ level: 'silent' });

const directory = await mkdtemp(join(tmpdir(), 'dockyard-bench-records-'));
try {
  const options = { directory, instance: 'bench', flushIntervalMs: 3_600_000, compactAfterLines: 100_000, log };
  const baseline = heapMiB();
  const { journal } = await RecordJournal.open(options);
  let started = performance.now();
  for (let i = 0; i < tags; i++)
    journal.record({ kind: 'push', repository: `team-${i % 100}/app`, tag: `v${i}.0.0`, digest: digest(i), at: 1_764_000_000_000 + i });
  const recordMs = performance.now() - started;
  await journal.flush();
  const held = heapMiB() - baseline;
  started = performance.now();
  for (let i = 0; i < 100_000; i++)
    journal.record({ kind: 'pull', repository: `team-${i % 100}/app`, tag: `v${i % tags}.0.0`, digest: digest(i % tags), at: 1_765_000_000_000 + i });
  const pullMs = performance.now() - started;
  started = performance.now();
  await journal.compact();
  const snapshotMs = performance.now() - started;
  const snapshotBytes = (await stat(join(directory, 'bench.snapshot.ndjson'))).size;
  started = performance.now();
  let paged = 0;
  let after: string | undefined;
  for (;;) {
    const page = journal.book.page({ after, limit: 10_000 });
    paged += page.records.length;
    if (page.next === undefined) break;
    after = page.next;
  }
  const pageMs = performance.now() - started;
  await journal.close();
  started = performance.now();
  const { journal: again, loaded } = await RecordJournal.open({ ...options, instance: 'bench-restarted' });
  const loadMs = performance.now() - started;
  await again.close();

  const figures = {
    tags,
    heapMiB: Math.round(held),
    recordPushesMs: Math.round(recordMs),
    record100kPullsMs: Math.round(pullMs),
    snapshotMiB: Math.round((snapshotBytes / 1024 / 1024) * 10) / 10,
    snapshotMs: Math.round(snapshotMs),
    loadAtRestartMs: Math.round(loadMs),
    loadedRecords: loaded.records,
    pageAllMs: Math.round(pageMs),
    pagedRecords: paged,
    cores: availableParallelism(),
    load1m: Math.round(loadavg()[0]! * 10) / 10,
  };
  console.log(JSON.stringify(figures));
} finally {
  await rm(directory, { recursive: true, force: true });
}
