import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The request budget of one registry, shared by every ImageRepository that reads it: 5 requests
 * a second with bursts of 10. 5,000 ImageRepositories on one registry then cost at most 300
 * requests a minute whatever their refresh periods say; a full pass over them takes longer
 * instead, which is the trade a registry under polling wants.
 */
export const registryBudget = { requestsPerSecond: 5, burst: 10 } as const;

/** Longest a reconcile holds its worker waiting for a token; longer waits requeue instead. */
export const maxTokenWaitMs = 2_000;

/**
 * A token bucket: `burst` tokens, refilled at `ratePerSecond`. `take` reserves a token and says
 * how long to wait for it, so concurrent callers queue in order without polling.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private updatedAt: number;

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.now = now;
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('a token bucket needs a positive rate and a burst of at least 1');
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Milliseconds until one token would be free, without taking it. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }

  /** Reserves one token (the count may go negative: later callers wait longer) and returns the wait for it. */
  reserve(): number {
    const wait = this.waitMs();
    this.tokens -= 1;
    return wait;
  }

  /** Waits for a token; an aborted signal gives the reservation back. */
  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait === 0) return;
    try {
      await sleep(wait, undefined, signal ? { signal } : {});
    } catch (error) {
      this.tokens += 1;
      throw error;
    }
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
  }
}
