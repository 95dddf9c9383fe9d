import { afterEach, describe, expect, it, vi } from 'vitest';
import { maxTimerDelayMs, systemClock } from '../../../src/runtime/clock.ts';

describe('systemClock.setTimer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits at most about 24.8 days instead of firing at once when asked for longer', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const sixtyDays = 60 * 24 * 60 * 60 * 1000;
    systemClock.setTimer(fired, sixtyDays);
    vi.advanceTimersByTime(1_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(maxTimerDelayMs - 1_000);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('can be cancelled', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    systemClock.setTimer(fired, 10).cancel();
    vi.advanceTimersByTime(100);
    expect(fired).not.toHaveBeenCalled();
  });
});
