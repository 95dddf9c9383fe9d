import { createHash } from 'node:crypto';
import { RegistryClient } from '../../oci/client.ts';
import { inventoryReadHeader } from '../../registry-auth/pod-contract.ts';
import { readRecordsSnapshot, type RecordsOutcome } from './push-records.ts';
import { registryBudget, TokenBucket } from './rate-limiter.ts';
import type { ReadCredentials, ReadTarget } from './registry-target.ts';

/** How often one registry's push records are listed, at most, for all its ImageRepositories together. */
export const recordsPeriodMs = 60_000;

/**
 * What the controller keeps per Registry (`namespace/name`): one client (its connections and
 * bearer tokens), one token bucket every ImageRepository of the registry draws on, and the last
 * listing of its push records. A new address or new credentials make a new client.
 */
export class RegistrySession {
  readonly identity: string;
  readonly bucket: TokenBucket;
  readonly client: RegistryClient;
  /** ImageRepositories (keys) whose read waits for the budget. */
  readonly deferred = new Set<string>();
  private records: RecordsOutcome | undefined;
  private recordsAt = Number.NEGATIVE_INFINITY;
  private listing: Promise<RecordsOutcome> | undefined;

  constructor(identity: string, url: string, reading: ReadCredentials, bucket: TokenBucket) {
    this.identity = identity;
    this.bucket = bucket;
    this.client = new RegistryClient({
      url,
      credentials: reading.credentials,
      ...(reading.ca !== undefined ? { ca: reading.ca } : {}),
      maxConcurrency: 2,
      // Retries would spend the budget behind the bucket's back; the next refresh is the retry.
      retry: { maxAttempts: 1 },
      headers: { [inventoryReadHeader]: 'true' },
    });
  }

  /**
   * The push records as listed at most `recordsPeriodMs` ago; listed again (once, however many
   * reconciles ask at the same time) when older and a token is free without waiting long.
   */
  async pushRecords(now: number, maxWaitMs: number, signal: AbortSignal): Promise<RecordsOutcome | undefined> {
    if (now - this.recordsAt < recordsPeriodMs || (this.records !== undefined && this.bucket.waitMs() > maxWaitMs)) return this.records;
    this.listing ??= readRecordsSnapshot(this.client, () => this.bucket.take(signal), now).finally(() => {
      this.listing = undefined;
    });
    this.records = await this.listing;
    this.recordsAt = now;
    return this.records;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

export class RegistrySessions {
  private readonly sessions = new Map<string, RegistrySession>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly budget: { requestsPerSecond: number; burst: number };

  constructor(budget: { requestsPerSecond: number; burst: number } = registryBudget) {
    this.budget = budget;
  }

  /** The session for a registry's current address and credentials; the bucket outlives a change of either. */
  of(registryKey: string, target: ReadTarget, reading: ReadCredentials): RegistrySession {
    const identity = createHash('sha256')
      .update(JSON.stringify([target.url, reading.credentials?.username, reading.credentials?.password, reading.ca]))
      .digest('base64url');
    const existing = this.sessions.get(registryKey);
    if (existing?.identity === identity) return existing;
    if (existing !== undefined) void existing.close();
    let bucket = this.buckets.get(registryKey);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.budget.requestsPerSecond, this.budget.burst);
      this.buckets.set(registryKey, bucket);
    }
    const session = new RegistrySession(identity, target.url, reading, bucket);
    this.sessions.set(registryKey, session);
    return session;
  }

  /** An ImageRepository gone: out of every line. */
  forgetReader(key: string): void {
    for (const session of this.sessions.values()) session.deferred.delete(key);
  }

  forget(registryKey: string): void {
    void this.sessions.get(registryKey)?.close();
    this.sessions.delete(registryKey);
    this.buckets.delete(registryKey);
  }
}
