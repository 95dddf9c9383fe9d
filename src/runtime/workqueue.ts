import { systemClock, type Clock, type Timer } from './clock.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

/** Hooks for metrics; every one is optional. */
export interface WorkQueueObserver {
  /** A key entered the queue (not counted when it was already waiting: it coalesced). */
  added?(): void;
  /** A key was re-added through the rate limiter after a failure. */
  retried?(): void;
  depthChanged?(depth: number): void;
}

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
  observer?: WorkQueueObserver;
}

/**
 * client-go's workqueue semantics, keyed by "namespace/name":
 * - a key added while it is already waiting runs once (the dirty set coalesces);
 * - a key is never handed out twice at once (the processing set);
 * - a key added while it is being processed runs once more after done();
 * - delayed adds (requeueAfter) and rate-limited re-adds (backoff after a failure).
 */
export class WorkQueue {
  /** Waiting keys in FIFO order. A Set keeps order and makes "already queued" O(1). */
  private readonly queue = new Set<string>();
  private readonly dirty = new Set<string>();
  /** Keys being processed, with the time each started, for the longest-running metric. */
  private readonly processing = new Map<string, number>();
  private readonly delayed = new Map<string, { readyAt: number; timer: Timer }>();
  private readonly idleWorkers: Array<(key: string | undefined) => void> = [];
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly observer: WorkQueueObserver;
  private shuttingDown = false;
  private drained: (() => void) | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.observer = options.observer ?? {};
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.observer.added?.();
    if (this.processing.has(key)) return;
    this.queue.add(key);
    this.depthChanged();
    this.handToIdleWorker();
  }

  /** Adds `key` after `delayMs`. Of several pending delays for one key, the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      pending.timer.cancel();
    }
    const timer = this.clock.setTimer(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { readyAt, timer });
  }

  /** Re-adds `key` after a failure, as late as its backoff and the global rate limit say. */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.observer.retried?.();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the failure history of `key`, after it succeeded. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  failures(key: string): number {
    return this.rateLimiter.failures(key);
  }

  /** The next key to process, or undefined once the queue shuts down. Pair with done(). */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.idleWorkers.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile, it goes back into the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.add(key);
      this.depthChanged();
      this.handToIdleWorker();
    }
    if (this.shuttingDown && this.processing.size === 0) this.drained?.();
  }

  /**
   * Runs `handler` for queued keys with at most `concurrency` at a time, until shutDown().
   * The handler owns its error handling (retries, logging); an error escaping it is reported to
   * `onEscapedError` and the worker carries on, so one bug cannot silently stop the queue.
   */
  async process(handler: (key: string) => Promise<void>, concurrency: number, onEscapedError?: (key: string, error: unknown) => void): Promise<void> {
    const worker = async (): Promise<void> => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        try {
          await handler(key);
        } catch (error) {
          onEscapedError?.(key, error);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  /**
   * Stops handing out keys, drops waiting and delayed ones, and resolves once every key being
   * processed is done. Dropped keys are not lost work: whoever processes next relists and
   * reconciles everything.
   */
  shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    this.queue.clear();
    this.dirty.clear();
    this.depthChanged();
    for (const wake of this.idleWorkers.splice(0)) wake(undefined);
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  get depth(): number {
    return this.queue.size;
  }

  /** Keys waiting for a delay or backoff to pass. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  get processingCount(): number {
    return this.processing.size;
  }

  /** How long the oldest key still being processed has been at it (0 when none). */
  longestRunningMs(): number {
    let oldest = Infinity;
    for (const startedAt of this.processing.values()) oldest = Math.min(oldest, startedAt);
    return oldest === Infinity ? 0 : this.clock.now() - oldest;
  }

  private take(): string | undefined {
    const next = this.queue.values().next();
    if (next.done) return undefined;
    const key = next.value;
    this.queue.delete(key);
    this.dirty.delete(key);
    this.processing.set(key, this.clock.now());
    this.depthChanged();
    return key;
  }

  private handToIdleWorker(): void {
    while (this.idleWorkers.length > 0 && this.queue.size > 0) {
      const wake = this.idleWorkers.shift()!;
      wake(this.take());
    }
  }

  private depthChanged(): void {
    this.observer.depthChanged?.(this.queue.size);
  }
}
