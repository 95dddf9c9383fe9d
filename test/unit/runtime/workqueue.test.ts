import { describe, expect, it } from 'vitest';
import { defaultControllerRateLimiter, ExponentialBackoffLimiter, TokenBucketLimiter } from '../../../src/runtime/rate-limiter.ts';
import { WorkQueue } from '../../../src/runtime/workqueue.ts';
import { FakeClock, settle } from './fake-clock.ts';

/** A handler whose calls the test completes by hand, to hold keys "in processing". */
function controllableHandler() {
  const running = new Map<string, () => void>();
  const started: string[] = [];
  let startedSignal: (() => void) | undefined;
  return {
    started,
    running,
    handler: (key: string) =>
      new Promise<void>((resolve) => {
        started.push(key);
        running.set(key, () => {
          running.delete(key);
          resolve();
        });
        startedSignal?.();
      }),
    /** Resolves once `count` calls have started in total. */
    async startedCount(count: number): Promise<void> {
      while (started.length < count) await new Promise<void>((resolve) => (startedSignal = resolve));
    },
    finish(key: string): void {
      const complete = running.get(key);
      if (!complete) throw new Error(`${key} is not running`);
      complete();
    },
  };
}

describe('WorkQueue', () => {
  it('coalesces a key added several times before it is processed', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.depth).toBe(2);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
    expect(queue.depth).toBe(0);
  });

  it('never hands out a key that is being processed, and runs it once more after done()', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    queue.add('ns/a');
    const first = await queue.get();
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.depth).toBe(0);

    let handedOut: string | undefined;
    const waiting = queue.get().then((key) => (handedOut = key));
    await settle();
    expect(handedOut).toBeUndefined();

    queue.done(first!);
    await waiting;
    expect(handedOut).toBe('ns/a');
    queue.done('ns/a');
    expect(queue.depth).toBe(0);
  });

  it('runs no more than the concurrency limit at once, and never one key twice at once', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    const work = controllableHandler();
    const processing = queue.process(work.handler, 2);
    for (const key of ['ns/a', 'ns/b', 'ns/c']) queue.add(key);
    await work.startedCount(2);
    expect(work.running.size).toBe(2);
    expect(queue.depth).toBe(1);

    queue.add('ns/a');
    work.finish('ns/b');
    await work.startedCount(3);
    expect(work.started).toEqual(['ns/a', 'ns/b', 'ns/c']);
    expect([...work.running.keys()].sort()).toEqual(['ns/a', 'ns/c']);

    work.finish('ns/a');
    await work.startedCount(4);
    expect(work.started[3]).toBe('ns/a');
    work.finish('ns/a');
    work.finish('ns/c');
    await queue.shutDown();
    await processing;
    expect(work.started).toHaveLength(4);
  });

  it('adds a key after its requeueAfter delay, keeping the earliest of two delays', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('ns/a', 5_000);
    queue.addAfter('ns/a', 1_000);
    queue.addAfter('ns/a', 3_000);
    await clock.advance(999);
    expect(queue.depth).toBe(0);
    await clock.advance(1);
    expect(queue.depth).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('backs off a failing key exponentially and starts over after forget()', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, rateLimiter: new ExponentialBackoffLimiter(5, 1_000_000) });
    const delays: number[] = [];
    for (let failure = 0; failure < 4; failure++) {
      const before = clock.now();
      queue.addRateLimited('ns/a');
      while (queue.depth === 0) await clock.advance(1);
      delays.push(clock.now() - before);
      queue.done((await queue.get())!);
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(queue.failures('ns/a')).toBe(4);

    queue.forget('ns/a');
    expect(queue.failures('ns/a')).toBe(0);
    queue.addRateLimited('ns/a');
    await clock.advance(5);
    expect(queue.depth).toBe(1);
  });

  it('stops shutting down only after in-flight keys are done, and drops waiting ones', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    const work = controllableHandler();
    const processing = queue.process(work.handler, 1);
    queue.add('ns/a');
    queue.add('ns/b');
    queue.addAfter('ns/c', 1_000);
    await work.startedCount(1);

    let stopped = false;
    const shutdown = queue.shutDown().then(() => (stopped = true));
    queue.add('ns/d');
    await settle();
    expect(stopped).toBe(false);

    work.finish('ns/a');
    await shutdown;
    await processing;
    await clock.advance(2_000);
    expect(work.started).toEqual(['ns/a']);
    expect(queue.depth).toBe(0);
  });

  it('reports adds, retries, depth and the longest-running key to its observer', async () => {
    const clock = new FakeClock();
    const seen = { adds: 0, retries: 0, depth: [] as number[] };
    const queue = new WorkQueue({
      clock,
      observer: { added: () => seen.adds++, retried: () => seen.retries++, depthChanged: (depth) => seen.depth.push(depth) },
    });
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    const key = await queue.get();
    await clock.advance(1_500);
    expect(queue.longestRunningMs()).toBe(1_500);
    queue.addRateLimited(key!);
    queue.done(key!);
    expect(seen).toEqual({ adds: 2, retries: 1, depth: [1, 2, 1] });
  });
});

describe('rate limiters', () => {
  it('caps the per-key backoff', () => {
    const limiter = new ExponentialBackoffLimiter(5, 1_000_000);
    const delays = Array.from({ length: 30 }, () => limiter.when('k'));
    expect(delays.slice(0, 3)).toEqual([5, 10, 20]);
    expect(Math.max(...delays)).toBe(1_000_000);
    expect(delays.at(-1)).toBe(1_000_000);
    expect(limiter.when('other')).toBe(5);
  });

  it('lets a burst through at once and spaces the rest at the configured rate', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketLimiter(10, 100, clock);
    const burst = Array.from({ length: 100 }, () => bucket.when());
    expect(burst.every((delay) => delay === 0)).toBe(true);
    expect([bucket.when(), bucket.when(), bucket.when()]).toEqual([100, 200, 300]);

    await clock.advance(1_000);
    // Ten tokens came back in that second, which pays the three-token debt and leaves seven.
    expect(Array.from({ length: 7 }, () => bucket.when())).toEqual(Array(7).fill(0));
    expect(bucket.when()).toBe(100);
  });

  it('combines per-key backoff with the global bucket: the longer delay wins', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter(clock, { burst: 2, perSecond: 1 });
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('b')).toBe(5);
    // The bucket is empty now: key c's own backoff would be 5 ms, the bucket says one second.
    expect(limiter.when('c')).toBe(1_000);
    limiter.forget('a');
    expect(limiter.failures('a')).toBe(0);
    expect(limiter.failures('b')).toBe(1);
  });
});
