import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordBook, type RecordEvent } from '../../../../src/auth-server/push-records/record-book.ts';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const push = (repository: string, tag: string | undefined, d: number, at: number): RecordEvent => ({ kind: 'push', repository, tag, digest: digest(d), at });
const pull = (repository: string, tag: string | undefined, d: number, at: number): RecordEvent => ({ kind: 'pull', repository, tag, digest: digest(d), at });

function allRecords(book: RecordBook) {
  const records = [];
  let after: string | undefined;
  for (;;) {
    const page = book.page({ after, limit: 7 });
    records.push(...page.records);
    if (page.next === undefined) return records;
    after = page.next;
  }
}

describe('the record book', () => {
  it('keeps per tag the digest of its last push and when, and per digest its last push and pull', () => {
    const book = new RecordBook(0);
    book.apply(push('apps/web', 'v1', 1, 100));
    book.apply(push('apps/web', 'latest', 1, 110));
    book.apply(pull('apps/web', 'latest', 1, 120));
    book.apply(pull('apps/web', undefined, 1, 130));
    book.apply(push('apps/web', 'latest', 2, 140));
    expect(allRecords(book)).toEqual([
      // Pulled before it named digest 2: not a pull of what it names now.
      { repository: 'apps/web', tag: 'latest', digest: digest(2), pushedAt: 140 },
      { repository: 'apps/web', tag: 'v1', digest: digest(1), pushedAt: 100 },
      { repository: 'apps/web', digest: digest(1), pushedAt: 110, pulledAt: 130 },
      { repository: 'apps/web', digest: digest(2), pushedAt: 140 },
    ]);
  });

  it('drops a tag record on a delete by tag and a digest record on a delete by digest, unless pushed again after', () => {
    const book = new RecordBook(0);
    book.apply(push('apps/web', 'v1', 1, 100));
    book.apply(push('apps/web', 'v2', 2, 100));
    book.apply({ kind: 'delete', repository: 'apps/web', tag: 'v1', at: 150 });
    book.apply({ kind: 'delete', repository: 'apps/web', digest: digest(2), at: 150 });
    book.apply({ kind: 'delete', repository: 'apps/web', tag: 'v2', at: 90 });
    expect(allRecords(book).map((record) => record.tag ?? record.digest)).toEqual(['v2', digest(1)]);
  });

  it("shows a tag's pull only when it came after the tag's last push, whatever order they are replayed in", () => {
    const book = new RecordBook(0);
    book.apply(push('apps/web', 'v1', 3, 300));
    book.apply(pull('apps/web', 'v1', 2, 250));
    book.apply(push('apps/web', 'v1', 1, 100));
    expect(book.page({ limit: 1 }).records).toEqual([{ repository: 'apps/web', tag: 'v1', digest: digest(3), pushedAt: 300 }]);
    book.apply(pull('apps/web', 'v1', 3, 350));
    expect(book.page({ limit: 1 }).records).toEqual([{ repository: 'apps/web', tag: 'v1', digest: digest(3), pushedAt: 300, pulledAt: 350 }]);
  });

  it('stays within its bound, evicting the least recently active, and says from when records are complete', () => {
    const book = new RecordBook(1000, { maxTags: 100, maxDigests: 60 });
    for (let i = 0; i < 250; i++) book.apply(push('apps/web', `t${i}`, i % 80, 2000 + i));
    // Tags t0..t149 went first.
    expect(book.size).toEqual({ tags: 100, digests: 60 });
    book.apply(pull('apps/web', 't150', 150 % 80, 5000));
    const tags = allRecords(book).flatMap((record) => (record.tag !== undefined ? [record.tag] : []));
    expect(tags).toHaveLength(100);
    expect(tags).toContain('t150');
    expect(tags).not.toContain('t149');
    // Digest d was last pushed by the last t(i) with i % 80 = d; the 60 kept are those of
    // t190..t249, so the newest evicted activity is t189's, at 2189.
    expect(book.recordsCompleteSince).toBe(2190);
  });

  it('holds 100,000 tags and no more (the stated bound)', () => {
    const book = new RecordBook(0);
    for (let i = 0; i < 100_500; i++) book.apply(push(`apps/r${i % 50}`, `t${i}`, i, i + 1));
    expect(book.size).toEqual({ tags: 100_000, digests: 100_000 });
    expect(book.recordsCompleteSince).toBe(501);
  });

  it('pages in key order, one repository at a time if asked, without repeats or gaps', () => {
    const book = new RecordBook(0);
    for (const repository of ['apps/web', 'apps/web/sub', 'apps/webx', 'apps']) for (let i = 0; i < 5; i++) book.apply(push(repository, `v${i}`, i, 10));
    const web = [];
    let after: string | undefined;
    for (;;) {
      const page = book.page({ after, limit: 3, repository: 'apps/web' });
      web.push(...page.records);
      if (page.next === undefined) break;
      after = page.next;
    }
    expect(web.every((record) => record.repository === 'apps/web')).toBe(true);
    expect(web).toHaveLength(10);
    expect(allRecords(book)).toHaveLength(40);
  });

  it('ends up the same whether two doors replay their journals one after the other, in either order, or twice', () => {
    // A registry's history as clients make it (a pull names what was last pushed, deletes remove
    // what exists), at distinct times, split at random between two doors.
    const command = fc.record({
      op: fc.constantFrom('push', 'push', 'pull', 'pull', 'delete'),
      repository: fc.constantFrom('a', 'b/c'),
      tag: fc.option(fc.constantFrom('v1', 'v2'), { nil: undefined }),
      digest: fc.integer({ min: 1, max: 3 }),
      door: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const tags = new Map<string, number>();
        const doors: [RecordEvent[], RecordEvent[]] = [[], []];
        const all: RecordEvent[] = [];
        commands.forEach((item, index) => {
          const at = index + 1;
          const key = `${item.repository}:${item.tag}`;
          let event: RecordEvent | undefined;
          if (item.op === 'push') {
            event = push(item.repository, item.tag, item.digest, at);
            if (item.tag !== undefined) tags.set(key, item.digest);
          } else if (item.op === 'pull') {
            const current = item.tag === undefined ? item.digest : tags.get(key);
            if (current !== undefined) event = pull(item.repository, item.tag, current, at);
          } else if (item.tag !== undefined && tags.has(key)) {
            event = { kind: 'delete', repository: item.repository, tag: item.tag, at };
            tags.delete(key);
          }
          if (event === undefined) return;
          all.push(event);
          doors[item.door ? 1 : 0].push(event);
        });
        const replay = (...lists: RecordEvent[][]) => {
          const book = new RecordBook(0);
          for (const list of lists) for (const item of list) book.apply(item);
          return allRecords(book);
        };
        const expected = replay(all);
        expect(replay(doors[0], doors[1])).toEqual(expected);
        expect(replay(doors[1], doors[0])).toEqual(expected);
        expect(replay(all, all)).toEqual(expected);
      }),
    );
  });
});
