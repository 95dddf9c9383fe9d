/**
 * When to try a request again. Registries shed load with 429 and 503 (often with Retry-After),
 * restart behind a Service (connection refused or reset), and fail transiently on storage
 * (500, 502, 504); retention runs issue thousands of requests, so each of those gets a few
 * more tries with exponential backoff and full jitter, which keeps many clients that failed
 * together from retrying together.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** The ceiling of the first backoff; it doubles per failure up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After honoured; a registry asking for more ends the request instead. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

const retryableStatuses = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return retryableStatuses.has(status);
}

// Node's and undici's codes for "the connection did not work out": worth another connection.
const retryableErrorCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The code of a network error, looking through its causes (undici wraps socket errors). */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function isRetryableNetworkError(error: unknown): boolean {
  const code = networkErrorCode(error);
  return code !== undefined && retryableErrorCodes.has(code);
}

/** Retry-After as milliseconds from `now`: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long to wait before try number `failures + 1`, or undefined to give up: out of attempts,
 * or the registry asked for a longer wait than the policy honours. Full jitter: a uniform draw
 * between zero and the exponential ceiling, but never sooner than Retry-After.
 */
export function backoffMs(
  failures: number,
  policy: RetryPolicy,
  options: { retryAfter?: string | undefined; now: number; random: () => number },
): number | undefined {
  if (failures >= policy.maxAttempts) return undefined;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
  const jittered = Math.floor(options.random() * ceiling);
  const asked = retryAfterMs(options.retryAfter, options.now);
  if (asked === undefined) return jittered;
  if (asked > policy.maxRetryAfterMs) return undefined;
  return Math.max(asked, jittered);
}

export interface RetryEnvironment {
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
}

/**
 * Runs `tryOnce` until it answers with a status worth keeping, or the policy gives up. Network
 * errors that another connection may cure are retried too; others, and the last one, are
 * thrown. Only for requests that may be repeated (GET, HEAD, DELETE of a given reference).
 */
export async function withRetries<T extends { status: number; headers: Record<string, string | string[] | undefined> }>(
  tryOnce: () => Promise<T>,
  environment: RetryEnvironment,
): Promise<{ answer: T; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    let answer: T;
    try {
      answer = await tryOnce();
    } catch (error) {
      const delay = isRetryableNetworkError(error)
        ? backoffMs(attempts, environment.policy, { now: environment.now(), random: environment.random })
        : undefined;
      if (delay === undefined) throw error;
      await environment.sleep(delay);
      continue;
    }
    if (!isRetryableStatus(answer.status)) return { answer, attempts };
    const retryAfter = answer.headers['retry-after'];
    const delay = backoffMs(attempts, environment.policy, {
      retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      now: environment.now(),
      random: environment.random,
    });
    if (delay === undefined) return { answer, attempts };
    await environment.sleep(delay);
  }
}
