/**
 * Time as the runtime sees it. Injected where timing is the behaviour under test (the workqueue's
 * backoff and rate limit, the informer's watchdog), so unit tests advance time instead of waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `delayMs`; cancel() before then prevents it. */
  setTimer(callback: () => void, delayMs: number): Timer;
}

export interface Timer {
  cancel(): void;
}

/** The longest delay setTimeout honours: 2^31 - 1 ms. */
export const maxTimerDelayMs = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    // Past this, setTimeout fires at once (TimeoutOverflowWarning): a requeue for a schedule a
    // month away would become a hot loop. Firing after ~24.8 days instead only means one early look.
    const handle = setTimeout(callback, Math.min(maxTimerDelayMs, Math.max(0, delayMs)));
    return { cancel: () => clearTimeout(handle) };
  },
};

/** Resolves after `delayMs` on `clock`, or at once when `signal` aborts (never rejects). */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
