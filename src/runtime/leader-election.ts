import type { Logger } from 'pino';
import { sleep, systemClock, type Clock } from './clock.ts';
import { isConflict, isNotFound } from './errors.ts';
import { microTime } from './kube-time.ts';
import type { KubeClient } from './kube-client.ts';
import { coreResources, type KubeObject } from './resource.ts';

/** coordination.k8s.io/v1 LeaseSpec. */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** When this replica first saw the lease record as it is now, by its own clock. */
export interface LeaseObservation {
  record: string;
  observedAt: number;
}

export type LeaseDecision = { action: 'write'; spec: LeaseSpec; transition: boolean } | { action: 'wait'; holder: string; validForMs: number };

/**
 * client-go's tryAcquireOrRenew as a pure function. A lease held by someone else is valid for
 * its duration measured from when *we* saw its record change, never from the renewTime written
 * by the holder, so clock skew between nodes cannot cut a lease short. A lease with an empty
 * holder (released) is free at once.
 */
export function decideLease(
  current: LeaseSpec | undefined,
  observation: LeaseObservation | undefined,
  identity: string,
  now: number,
  leaseDurationSeconds: number,
): LeaseDecision {
  const holder = current?.holderIdentity ?? '';
  const renewTime = microTime(now);
  if (holder !== '' && holder !== identity) {
    const durationMs = (current?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const validForMs = (observation?.observedAt ?? now) + durationMs - now;
    if (validForMs > 0) return { action: 'wait', holder, validForMs };
  }
  const renewing = holder === identity;
  return {
    action: 'write',
    transition: !renewing && current !== undefined,
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: renewing ? (current?.acquireTime ?? renewTime) : renewTime,
      renewTime,
      leaseTransitions: (current?.leaseTransitions ?? 0) + (!renewing && holder !== '' ? 1 : 0),
    },
  };
}

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  clock?: Clock;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/**
 * Lease-based leader election (coordination.k8s.io), with client-go's timings by default: a
 * 15 s lease, renewed every 2 s, given up when not renewed for 10 s, which leaves the old leader
 * 5 s to stop before anyone else may start.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly client: KubeClient;
  private readonly key: { namespace: string; name: string };
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observation: LeaseObservation | undefined;
  private lastRoundOkAt: number | undefined;
  private leading = false;

  constructor(options: LeaderElectionOptions) {
    this.client = options.client;
    this.key = { namespace: options.namespace, name: options.name };
    this.identity = options.identity;
    this.log = options.log.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.clock = options.clock ?? systemClock;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.renewDeadlineMs < this.leaseDurationMs && this.retryPeriodMs < this.renewDeadlineMs)) {
      throw new Error('leader election needs retry period < renew deadline < lease duration');
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The last round (as leader or candidate) reached the apiserver recently. */
  healthy(): boolean {
    return this.lastRoundOkAt !== undefined && this.clock.now() - this.lastRoundOkAt <= this.renewDeadlineMs + this.retryPeriodMs;
  }

  /** Campaigns until this replica holds the lease (true) or `signal` aborts (false). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    let waitingFor: string | undefined;
    while (!signal.aborted) {
      const outcome = await this.tryAcquireOrRenew(signal);
      if (outcome === true) {
        this.leading = true;
        this.log.info('became the leader');
        return true;
      }
      let delayMs = this.jittered(this.retryPeriodMs);
      if (outcome !== false) {
        if (outcome.holder !== waitingFor) {
          waitingFor = outcome.holder;
          this.log.info({ leader: outcome.holder }, 'found the lease held by another replica; waiting');
        }
        // Come back right when the lease runs out rather than up to a retry period later.
        delayMs = Math.min(delayMs, outcome.validForMs + 10);
      }
      await sleep(this.clock, delayMs, signal);
    }
    return false;
  }

  /**
   * Renews every retry period until `signal` aborts ('stopped') or no renewal succeeded for the
   * renew deadline ('lost'). On 'lost' the caller must stop reconciling at once.
   */
  async renewUntilLost(signal: AbortSignal): Promise<'lost' | 'stopped'> {
    let renewedAt = this.clock.now();
    while (!signal.aborted) {
      await sleep(this.clock, this.retryPeriodMs, signal);
      if (signal.aborted) break;
      const remainingMs = renewedAt + this.renewDeadlineMs - this.clock.now();
      const attempt = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, remainingMs))]);
      if ((await this.tryAcquireOrRenew(attempt)) === true) {
        renewedAt = this.clock.now();
      } else if (this.clock.now() - renewedAt >= this.renewDeadlineMs) {
        this.leading = false;
        this.log.error({ renewDeadlineMs: this.renewDeadlineMs }, 'lost the lease: could not renew it in time');
        return 'lost';
      }
    }
    return 'stopped';
  }

  /**
   * Gives the lease up by clearing its holder, so a standby takes over on its next retry instead
   * of waiting for the lease to expire. Call only after reconciling has stopped.
   */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.client.get<Lease>(coreResources.leases, this.key);
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = microTime(this.clock.now());
      await this.client.replace(coreResources.leases, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      });
      this.log.info('released the lease');
    } catch (error) {
      this.log.warn({ err: error }, 'could not release the lease; it expires on its own');
    }
  }

  /** true: we hold the lease now; the holder and how long its lease lasts; false: the round failed. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<true | { holder: string; validForMs: number } | false> {
    const durationSeconds = Math.round(this.leaseDurationMs / 1000);
    try {
      let lease: Lease | undefined;
      try {
        lease = await this.client.get<Lease>(coreResources.leases, this.key, signal);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const now = this.clock.now();
      const record = JSON.stringify(lease?.spec ?? null);
      if (this.observation?.record !== record) this.observation = { record, observedAt: now };
      const decision = decideLease(lease?.spec, this.observation, this.identity, now, durationSeconds);
      if (decision.action === 'wait') {
        this.lastRoundOkAt = now;
        return { holder: decision.holder, validForMs: decision.validForMs };
      }
      const written =
        lease === undefined
          ? await this.client.create<Lease>(coreResources.leases, {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: this.key,
              spec: decision.spec,
            })
          : await this.client.replace<Lease>(coreResources.leases, { ...lease, spec: decision.spec }, { signal });
      this.observation = { record: JSON.stringify(written.spec ?? null), observedAt: this.clock.now() };
      this.lastRoundOkAt = this.clock.now();
      if (decision.transition) this.log.info({ previousHolder: lease?.spec?.holderIdentity || undefined }, 'took over the lease');
      return true;
    } catch (error) {
      // A conflict means someone else wrote the lease between our read and write: we lost that race.
      if (isConflict(error)) {
        this.lastRoundOkAt = this.clock.now();
        return false;
      }
      if (!signal.aborted) this.log.warn({ err: error }, 'lease round failed');
      return false;
    }
  }

  private jittered(ms: number): number {
    return ms * (1 + Math.random() * 0.2);
  }
}
