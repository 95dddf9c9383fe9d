import type { Logger } from 'pino';
import { Informer, type InformerOptions } from './informer.ts';
import type { KubeClient } from './kube-client.ts';
import { apiListWatchSource, watchTargetName, type ListWatchSource, type WatchTarget } from './list-watch-source.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { KubeObject } from './resource.ts';

/** Informer tuning, plus a hook to wrap each source (fault injection in integration fixtures). */
export type InformerSettings = Pick<InformerOptions, 'relistIntervalMs' | 'stallTimeoutMs' | 'watchTimeoutSeconds' | 'backoff' | 'pageSize'> & {
  decorateSource?: (source: ListWatchSource<KubeObject>, target: WatchTarget) => ListWatchSource<KubeObject>;
};

/**
 * The informers of one leadership term, one per distinct watch target, shared by every
 * controller that watches that target (one list and one watch per collection, not per user).
 */
export class InformerSet {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly untrack: Array<() => void> = [];
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly metrics: OperatorMetrics;
  private readonly settings: InformerSettings;

  constructor(options: { client: KubeClient; log: Logger; metrics: OperatorMetrics; settings?: InformerSettings }) {
    this.client = options.client;
    this.log = options.log;
    this.metrics = options.metrics;
    this.settings = options.settings ?? {};
  }

  /** The informer for `target`, created on first use; started by startAll(). */
  informerFor(target: WatchTarget): Informer<KubeObject> {
    const name = watchTargetName(target);
    let informer = this.informers.get(name);
    if (informer === undefined) {
      const { decorateSource, ...options } = this.settings;
      const source = apiListWatchSource<KubeObject>(this.client, target);
      informer = new Informer(name, decorateSource ? decorateSource(source, target) : source, {
        ...options,
        log: this.log,
        observer: this.metrics.informerObserver(name),
      });
      this.informers.set(name, informer);
      this.untrack.push(this.metrics.trackInformer(name, informer));
    }
    return informer;
  }

  startAll(): void {
    for (const informer of this.informers.values()) informer.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.waitForSync()));
  }

  /** True when every informer has loaded a complete list at least once. */
  synced(): boolean {
    return [...this.informers.values()].every((informer) => informer.health().synced);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.stop()));
    for (const untrack of this.untrack.splice(0)) untrack();
  }
}
