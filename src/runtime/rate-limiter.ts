import { systemClock, type Clock } from './clock.ts';

/** Decides how long a key waits before it is retried; client-go's workqueue RateLimiter. */
export interface RateLimiter {
  /** The delay before `key` runs again; each call counts as one more failure of it. */
  when(key: string): number;
  /** Forgets the failures of `key`, after it succeeded. */
  forget(key: string): void;
  /** How many times `key` has failed since it was last forgotten. */
  failures(key: string): number;
}

/** Per-key exponential backoff: base * 2^failures, capped. */
export class ExponentialBackoffLimiter implements RateLimiter {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly failureCounts = new Map<string, number>();

  constructor(baseMs: number, maxMs: number) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(key: string): number {
    const failures = this.failureCounts.get(key) ?? 0;
    this.failureCounts.set(key, failures + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** failures);
  }

  forget(key: string): void {
    this.failureCounts.delete(key);
  }

  failures(key: string): number {
    return this.failureCounts.get(key) ?? 0;
  }
}

/**
 * A global token bucket shared by all keys, so a mass failure (the apiserver restarting) turns
 * into a steady trickle of retries instead of a thundering herd. Reservations may drive the
 * bucket negative: the debt is the wait, as in Go's rate.Limiter.Reserve.
 */
export class TokenBucketLimiter implements RateLimiter {
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private lastRefill: number;

  constructor(perSecond: number, burst: number, clock: Clock = systemClock) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.lastRefill = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.perSecond);
    this.lastRefill = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }

  forget(): void {}

  failures(): number {
    return 0;
  }
}

/** The longest delay of several limiters; every limiter sees every failure. */
class MaxOfLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(...this.limiters.map((limiter) => limiter.when(key)));
  }

  forget(key: string): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  failures(key: string): number {
    return Math.max(...this.limiters.map((limiter) => limiter.failures(key)));
  }
}

export interface ControllerRateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  perSecond?: number;
  burst?: number;
}

/** client-go's DefaultControllerRateLimiter: 5 ms doubling to 1000 s, under 10 qps / burst 100. */
export function defaultControllerRateLimiter(clock: Clock = systemClock, options: ControllerRateLimiterOptions = {}): RateLimiter {
  return new MaxOfLimiter(
    new ExponentialBackoffLimiter(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000),
    new TokenBucketLimiter(options.perSecond ?? 10, options.burst ?? 100, clock),
  );
}
