/**
 * Jittered exponential backoff for reconnect loops (informers, leader election), after kube-rs's
 * watcher: 800 ms doubling to 30 s, with full reset once a connection has stayed healthy for a
 * while, so one blip after hours of health does not start at the cap.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A connection healthy for this long resets the backoff to `initialMs`. */
  resetAfterMs?: number;
  /** Each delay is drawn from [delay * (1 - jitter), delay]; 0 disables jitter. */
  jitter?: number;
  random?: () => number;
}

export class ReconnectBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private attempts = 0;
  private healthySince: number | undefined;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 800;
    this.maxMs = options.maxMs ?? 30_000;
    this.resetAfterMs = options.resetAfterMs ?? 120_000;
    this.jitter = options.jitter ?? 0.5;
    this.random = options.random ?? Math.random;
  }

  /** Records that a connection is up as of `now`; a later failure measures health from here. */
  markHealthy(now: number): void {
    this.healthySince ??= now;
  }

  /** The delay before the next attempt after a failure at `now`. */
  nextDelayMs(now: number): number {
    if (this.healthySince !== undefined && now - this.healthySince >= this.resetAfterMs) this.attempts = 0;
    this.healthySince = undefined;
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempts);
    this.attempts = Math.min(this.attempts + 1, 32);
    return Math.round(ceiling * (1 - this.jitter * this.random()));
  }
}
