import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, defaultRetryPolicy, isRetryableNetworkError, isRetryableStatus, retryAfterMs } from '../../../src/oci/backoff.ts';

const policy = { ...defaultRetryPolicy, maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('backoff', () => {
  it('draws between zero and a ceiling that doubles per failure up to the maximum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (failures, draw) => {
        const delay = backoffMs(failures, policy, { now: 0, random: () => draw })!;
        const ceiling = Math.min(1_000, 100 * 2 ** (failures - 1));
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
        expect(delay).toBe(Math.floor(draw * ceiling));
      }),
    );
  });

  it('gives up after the last attempt', () => {
    expect(backoffMs(6, policy, { now: 0, random: () => 0.5 })).toBeUndefined();
  });

  it('waits at least what Retry-After asks, in seconds or as a date, and gives up when it asks too much', () => {
    expect(backoffMs(1, policy, { retryAfter: '3', now: 0, random: () => 0.5 })).toBe(3_000);
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(backoffMs(1, policy, { retryAfter: 'Tue, 01 Dec 2026 10:00:07 GMT', now, random: () => 0 })).toBe(7_000);
    expect(backoffMs(1, policy, { retryAfter: '3600', now: 0, random: () => 0 })).toBeUndefined();
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });

  it('retries overload and server failures, not client errors', () => {
    for (const status of [429, 500, 502, 503, 504]) expect(isRetryableStatus(status)).toBe(true);
    for (const status of [200, 400, 401, 403, 404, 405, 501]) expect(isRetryableStatus(status)).toBe(false);
  });

  it('retries resets and refusals found anywhere in the cause chain', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isRetryableNetworkError(new Error('request failed', { cause: reset }))).toBe(true);
    expect(isRetryableNetworkError(Object.assign(new Error('bad cert'), { code: 'CERT_HAS_EXPIRED' }))).toBe(false);
    expect(isRetryableNetworkError(new Error('no code'))).toBe(false);
  });
});
