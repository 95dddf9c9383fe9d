import type { Clock, Timer } from '../../../src/runtime/clock.ts';

/** A clock that moves only when a test says so; timers fire in due order during advance(). */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers = new Set<{ dueAt: number; callback: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): Timer {
    const timer = { dueAt: this.current + Math.max(0, delayMs), callback };
    this.timers.add(timer);
    return { cancel: () => this.timers.delete(timer) };
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order, and lets promise chains they start
   * run to completion before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = [...this.timers].filter((t) => t.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt)[0];
      if (next === undefined) break;
      this.timers.delete(next);
      this.current = next.dueAt;
      next.callback();
      await settle();
    }
    this.current = target;
    await settle();
  }
}

/** Lets every pending microtask and I/O callback run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
