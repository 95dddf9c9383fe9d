import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectBackoff } from '../../../src/runtime/backoff.ts';
import { KubeApiError } from '../../../src/runtime/errors.ts';
import { Informer, type InformerEvent, type RestartReason } from '../../../src/runtime/informer.ts';
import type { KubeObject } from '../../../src/runtime/resource.ts';
import { FakeClock, settle } from './fake-clock.ts';
import { FakeListWatch } from './fake-list-watch.ts';

const log = pino({ level: 'silent' });
const stallTimeoutMs = 60_000;
const relistIntervalMs = 600_000;

function startInformer(source: FakeListWatch, clock: FakeClock, options: { stallTimeoutMs?: number } = { stallTimeoutMs }) {
  const events: Array<{ type: InformerEvent<KubeObject>['type']; name: string; version: string }> = [];
  const restarts: RestartReason[] = [];
  const informer = new Informer('configmaps', source, {
    log,
    clock,
    stallTimeoutMs: options.stallTimeoutMs,
    watchTimeoutSeconds: 180,
    relistIntervalMs,
    random: () => 0,
    observer: { restarted: (reason) => restarts.push(reason) },
  });
  informer.subscribe(({ type, object }) => events.push({ type, name: object.metadata!.name!, version: object.metadata!.resourceVersion! }));
  informer.start();
  const informers = [informer];
  stopAll.push(() => Promise.all(informers.map((i) => i.stop())).then(() => undefined));
  return { informer, events, restarts, takeEvents: () => events.splice(0) };
}

const stopAll: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stopAll.splice(0)) await stop();
});

describe('Informer', () => {
  it('lists, announces every object, then follows the watch into its store', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    source.put('a');
    source.put('b');
    const { informer, takeEvents } = startInformer(source, clock);
    await informer.waitForSync();
    await settle();
    expect(takeEvents().map((e) => `${e.type} ${e.name}`)).toEqual(['resynced a', 'resynced b']);
    expect(informer.health()).toMatchObject({ synced: true, restarts: 0 });

    source.put('c');
    source.put('a', { changed: 'yes' });
    source.delete('b');
    await settle();
    expect(takeEvents().map((e) => `${e.type} ${e.name}`)).toEqual(['added c', 'modified a', 'deleted b']);
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/c']);
    expect(informer.store.get('ns/a')?.['data']).toEqual({ changed: 'yes' });
  });

  it('after a watch error, backs off, relists and re-announces every cached key', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    source.put('a');
    const { informer, takeEvents, restarts } = startInformer(source, clock);
    await informer.waitForSync();
    await settle();
    takeEvents();

    source.currentWatch!.fail(new Error('connection reset'));
    await settle();
    expect(informer.health().connected).toBe(false);
    source.put('b');
    await clock.advance(799);
    expect(source.lists).toBe(1);
    await clock.advance(1);
    expect(source.lists).toBe(2);
    expect(restarts).toEqual(['error']);
    expect(takeEvents().map((e) => `${e.type} ${e.name}`)).toEqual(['resynced a', 'resynced b']);
  });

  it('keeps retrying a failing list with growing delays', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    source.failListOnce(new Error('connection refused'));
    const { informer, restarts } = startInformer(source, clock);
    await settle();
    expect(informer.health().synced).toBe(false);
    source.failListOnce(new Error('connection refused'));
    await clock.advance(800);
    expect(source.lists).toBe(2);
    await clock.advance(1_599);
    expect(source.lists).toBe(2);
    await clock.advance(1);
    expect(source.lists).toBe(3);
    expect(informer.health().synced).toBe(true);
    expect(restarts).toEqual(['error', 'error']);
  });

  it('relists at once, without backoff, when the watch answers 410 Gone', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    const { informer, restarts } = startInformer(source, clock);
    await informer.waitForSync();
    await clock.advance(30_000);
    source.currentWatch!.fail(new KubeApiError('WATCH', '/api/v1/configmaps', 410, { reason: 'Expired' }));
    await settle();
    expect(source.lists).toBe(2);
    expect(restarts).toEqual(['gone']);

    // A 410 at once after that fresh list is no expiry: it backs off instead of spinning.
    source.currentWatch!.fail(new KubeApiError('WATCH', '/api/v1/configmaps', 410, { reason: 'Expired' }));
    await settle();
    expect(source.lists).toBe(2);
    expect(restarts).toEqual(['gone', 'error']);
    await clock.advance(800);
    expect(source.lists).toBe(3);
  });

  it('resumes a watch the server ended normally without relisting', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    const { informer, takeEvents } = startInformer(source, clock);
    await informer.waitForSync();
    await settle();
    source.put('a');
    await clock.advance(5_000);
    source.currentWatch!.end();
    await settle();
    expect(source.watches).toHaveLength(2);
    expect(source.lists).toBe(1);
    source.put('b');
    await settle();
    expect(takeEvents().map((e) => `${e.type} ${e.name}`)).toEqual(['added a', 'added b']);
  });

  it('relists when the watch goes silent, and so catches the change it missed', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    source.put('a');
    const { informer, takeEvents, restarts } = startInformer(source, clock);
    await informer.waitForSync();
    await settle();
    takeEvents();

    source.silent = true;
    const changed = source.put('a', { missed: 'by the watch' });
    await clock.advance(stallTimeoutMs - 1);
    expect(takeEvents()).toEqual([]);
    await clock.advance(1);
    expect(restarts).toEqual(['stalled']);
    expect(takeEvents()).toEqual([{ type: 'resynced', name: 'a', version: changed.metadata!.resourceVersion }]);
  });

  it('does not mistake a quiet watch that receives bookmarks for a stalled one', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    const { informer, restarts } = startInformer(source, clock);
    await informer.waitForSync();
    await settle();
    for (let minute = 0; minute < 5; minute++) {
      await clock.advance(stallTimeoutMs / 2);
      source.bookmark();
      await settle();
    }
    expect(restarts).toEqual([]);
    expect(source.lists).toBe(1);
  });

  it('by default, suspects a silent watch only once the server should have ended it', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    const { informer, restarts } = startInformer(source, clock, {});
    await informer.waitForSync();
    await settle();
    // Quiet collections get no bookmarks; the server ends each watch at timeoutSeconds (180 s
    // with no jitter here), so silence up to that plus 30 s of grace is normal.
    await clock.advance(180_000 + 30_000 - 1);
    expect(restarts).toEqual([]);
    await clock.advance(1);
    expect(restarts).toEqual(['stalled']);
    expect(source.lists).toBe(2);
  });

  it('relists on its timer even while the watch is healthy', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    source.put('a');
    const { informer, takeEvents, restarts } = startInformer(source, clock);
    await informer.waitForSync();
    await settle();
    takeEvents();
    for (let elapsed = 0; elapsed < relistIntervalMs; elapsed += stallTimeoutMs / 2) {
      source.bookmark();
      await clock.advance(stallTimeoutMs / 2);
    }
    expect(source.lists).toBe(2);
    expect(restarts).toEqual([]);
    expect(takeEvents().map((e) => `${e.type} ${e.name}`)).toEqual(['resynced a']);
  });

  it('stops its loop and closes the watch on stop()', async () => {
    const clock = new FakeClock();
    const source = new FakeListWatch();
    const { informer } = startInformer(source, clock);
    await informer.waitForSync();
    await settle();
    await informer.stop();
    expect(source.currentWatch!.open).toBe(false);
    expect(informer.health().connected).toBe(false);
  });
});

describe('ReconnectBackoff', () => {
  it('doubles from 800 ms to a 30 s cap, and starts over after a healthy period', () => {
    const backoff = new ReconnectBackoff({ random: () => 0 });
    const delays = Array.from({ length: 8 }, () => backoff.nextDelayMs(0));
    expect(delays).toEqual([800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000]);

    backoff.markHealthy(1_000);
    expect(backoff.nextDelayMs(60_000)).toBe(30_000);
    backoff.markHealthy(100_000);
    expect(backoff.nextDelayMs(100_000 + 120_000)).toBe(800);
  });

  it('spreads delays with jitter below the ceiling', () => {
    const backoff = new ReconnectBackoff({ random: () => 1, jitter: 0.5 });
    expect(backoff.nextDelayMs(0)).toBe(400);
  });
});
