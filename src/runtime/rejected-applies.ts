import { createHash } from 'node:crypto';
import type { ApplyRejectedError } from './errors.ts';
import { stableStringify } from './json-compare.ts';

/**
 * Applies the apiserver refused (422), remembered per root object. A reconcile runs again on
 * every event of every child; without this memory each run would send the refused object
 * again, and the audit log would fill with the same failure. The same desired object, for the
 * same generation of the root, is not sent again until `retryAfterMs` has passed (the safety
 * net for a refusal that something else in the cluster resolves). A new generation (the user
 * edited the spec) or a different desired object is sent at once.
 */
export class RejectedApplies {
  private readonly byRoot = new Map<
    string,
    { generation: number | undefined; refusals: Map<string, { fingerprint: string; error: ApplyRejectedError; at: number }> }
  >();
  private readonly retryAfterMs: number;
  private readonly now: () => number;

  constructor(options: { retryAfterMs?: number; now?: () => number } = {}) {
    this.retryAfterMs = options.retryAfterMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The refusal of this very object for this generation of the root, while it still stands. */
  recall(root: { key: string; generation: number | undefined }, child: string, desired: unknown): ApplyRejectedError | undefined {
    const remembered = this.byRoot.get(root.key);
    if (remembered === undefined) return undefined;
    if (remembered.generation !== root.generation) {
      this.byRoot.delete(root.key);
      return undefined;
    }
    const refusal = remembered.refusals.get(child);
    if (refusal === undefined || refusal.fingerprint !== fingerprintOf(desired) || this.now() - refusal.at >= this.retryAfterMs) return undefined;
    return refusal.error;
  }

  remember(root: { key: string; generation: number | undefined }, child: string, desired: unknown, error: ApplyRejectedError): void {
    let remembered = this.byRoot.get(root.key);
    if (remembered === undefined || remembered.generation !== root.generation) {
      remembered = { generation: root.generation, refusals: new Map() };
      this.byRoot.set(root.key, remembered);
    }
    remembered.refusals.set(child, { fingerprint: fingerprintOf(desired), error, at: this.now() });
  }

  /** The root is gone: nothing of it is worth remembering. */
  forget(rootKey: string): void {
    this.byRoot.delete(rootKey);
  }
}

function fingerprintOf(desired: unknown): string {
  return createHash('sha256').update(stableStringify(desired)).digest('hex');
}
