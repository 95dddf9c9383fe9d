/** What the controller remembers of its last read of one ImageRepository (in memory: a restart reads each once more). */
export interface RefreshMemory {
  at: number;
  generation: number | undefined;
  /** The repository's push records when read; undefined where the registry keeps none. */
  fingerprint: string | undefined;
  /** Which client (address and credentials) read it: new credentials read again at once. */
  session: string;
  ok: boolean;
  /** The refresh-now annotation's value when read: a new value reads at once. */
  refreshRequest: string | undefined;
  /** In [0, 1): spreads the slow period by up to 10%, so repositories created together drift apart. */
  jitter: number;
}

export interface RefreshInputs {
  memory: RefreshMemory | undefined;
  generation: number | undefined;
  fingerprint: string | undefined;
  session: string;
  refreshRequest: string | undefined;
  now: number;
  periodMs: number;
  recordsPeriodMs: number;
  /** How long the registry's bucket makes the next request wait. */
  waitMs: number;
  /** Reads of this registry deferred for the budget, this one included: how far back to stand in line. */
  deferred: number;
  requestsPerSecond: number;
  maxWaitMs: number;
}

/** The fewest requests a read makes: the tags page and one HEAD. */
const requestsPerRead = 2;

export type RefreshDecision = { action: 'read' } | { action: 'wait'; afterMs: number };

/**
 * Whether to read the repository now: never read (or since a restart), a new generation, new
 * credentials, a new refresh-now annotation, its push records changed, the last read failed a minute ago, or the slow period
 * ended. Otherwise wait for the next listing of the records (where the registry has them) or the
 * end of the period. A read whose first request would wait longer than `maxWaitMs` for the bucket
 * gives its worker back and comes back when the token is due.
 */
export function refreshDecision(inputs: RefreshInputs): RefreshDecision {
  const { memory, now } = inputs;
  const spread = memory?.jitter ?? 0.5;
  const due = dueAt(inputs);
  if (due > now) {
    const untilDue = due - now;
    const nextLook = inputs.fingerprint !== undefined ? Math.min(untilDue, inputs.recordsPeriodMs * (1 + 0.1 * spread)) : untilDue;
    return { action: 'wait', afterMs: Math.max(1_000, Math.round(nextLook)) };
  }
  if (inputs.waitMs > inputs.maxWaitMs) {
    // Come back about when the reads ahead have had their tokens (two requests each at least),
    // spread so the deferred do not all return at once and poll the bucket.
    const line = Math.max(inputs.waitMs, ((inputs.deferred * requestsPerRead) / inputs.requestsPerSecond) * 1000);
    return { action: 'wait', afterMs: Math.round(line * (0.5 + spread)) };
  }
  return { action: 'read' };
}

function dueAt(inputs: RefreshInputs): number {
  const { memory } = inputs;
  if (memory === undefined || memory.generation !== inputs.generation) return Number.NEGATIVE_INFINITY;
  if (!memory.ok) return memory.at + inputs.recordsPeriodMs;
  if (memory.session !== inputs.session) return Number.NEGATIVE_INFINITY;
  if (inputs.refreshRequest !== undefined && inputs.refreshRequest !== memory.refreshRequest) return Number.NEGATIVE_INFINITY;
  if (inputs.fingerprint !== undefined && memory.fingerprint !== inputs.fingerprint) return Number.NEGATIVE_INFINITY;
  return memory.at + inputs.periodMs * (1 + 0.1 * memory.jitter);
}
