import type { Logger } from 'pino';
import { ReconnectBackoff, type BackoffOptions } from './backoff.ts';
import { sleep, systemClock, type Clock, type Timer } from './clock.ts';
import { isGone } from './errors.ts';
import type { WatchEvent } from './kube-client.ts';
import type { ListWatchSource } from './list-watch-source.ts';
import { keyOf, type KubeObject } from './resource.ts';
import { ObjectStore, type IndexFunction, type ReadonlyStore } from './store.ts';

/**
 * What subscribers hear. `resynced` is every cached object after each (re)list: a reconnect or a
 * relist may have missed events, so every key is worth another look. `previous` is the cached
 * version the event replaced, so mappings can enqueue what an object used to point at too.
 */
export interface InformerEvent<T extends KubeObject> {
  type: 'added' | 'modified' | 'deleted' | 'resynced';
  object: T;
  previous?: T;
}

export type RestartReason = 'error' | 'gone' | 'stalled';

export interface InformerHealth {
  /** A complete list has been loaded at least once. */
  synced: boolean;
  /** The last list or watch attempt reached the apiserver and has not failed since. */
  connected: boolean;
  /** When the last list, watch event or bookmark arrived (epoch ms), or undefined. */
  lastEventAt: number | undefined;
  restarts: number;
}

export interface InformerOptions {
  log: Logger;
  clock?: Clock;
  /** Relist everything this often even when the watch looks healthy (default 30 min). */
  relistIntervalMs?: number;
  /**
   * Relist when the watch has delivered nothing, not even a bookmark, for this long. By default
   * the watch's own timeout plus 30 s: a quiet collection may get no bookmark at all (measured on
   * kube-apiserver 1.33: none in 170 s), but the apiserver must end every watch at its
   * timeoutSeconds, so a watch that neither speaks nor ends by then is stuck (a half-open
   * connection, a wedged proxy).
   */
  stallTimeoutMs?: number;
  /** Shortest server-side watch timeout; each watch draws from [this, 2 x this) (default 180 s). */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  /** Page size of lists. */
  pageSize?: number;
  random?: () => number;
  observer?: { restarted?(reason: RestartReason): void };
}

/**
 * A supervised list+watch loop that mirrors one collection into a store.
 *
 * Written on our own watch stream rather than wrapping client-node's makeInformer, because that
 * informer stops for good on errors other than 410, can stall silently, emits no ADD for cached
 * objects after a restart and ignores its handlers' promises: a supervisor around it would have
 * to re-implement its lifecycle anyway. Here every failure path ends in the same place (backoff,
 * relist, re-announce every cached key), and subscribers are synchronous: they only enqueue keys.
 */
export class Informer<T extends KubeObject> {
  readonly name: string;
  private readonly source: ListWatchSource<T>;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly relistIntervalMs: number;
  private readonly stallTimeoutMs: number | undefined;
  private readonly watchTimeoutSeconds: number;
  private readonly pageSize: number;
  private readonly random: () => number;
  private readonly backoff: ReconnectBackoff;
  private readonly observer: NonNullable<InformerOptions['observer']>;
  private readonly objects = new ObjectStore<T>();
  private readonly subscribers = new Set<(event: InformerEvent<T>) => void>();
  private readonly stopping = new AbortController();
  private readonly syncedOnce: Promise<void>;
  private markSynced!: () => void;
  private running: Promise<void> | undefined;
  private state: InformerHealth = { synced: false, connected: false, lastEventAt: undefined, restarts: 0 };
  private lastListAt = 0;

  constructor(name: string, source: ListWatchSource<T>, options: InformerOptions) {
    this.name = name;
    this.source = source;
    this.log = options.log.child({ informer: name });
    this.clock = options.clock ?? systemClock;
    this.relistIntervalMs = options.relistIntervalMs ?? 30 * 60_000;
    this.stallTimeoutMs = options.stallTimeoutMs;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 180;
    this.pageSize = options.pageSize ?? 500;
    this.random = options.random ?? Math.random;
    this.backoff = new ReconnectBackoff({ ...options.backoff, random: this.random });
    this.observer = options.observer ?? {};
    this.syncedOnce = new Promise((resolve) => (this.markSynced = resolve));
  }

  get store(): ReadonlyStore<T> {
    return this.objects;
  }

  /** Declares an index on the store (see ObjectStore.addIndex); safe before or after start. */
  addIndex(name: string, indexer: IndexFunction<T>): void {
    this.objects.addIndex(name, indexer);
  }

  /** Subscribers must be quick and must not throw: they are meant to enqueue keys. */
  subscribe(handler: (event: InformerEvent<T>) => void): () => void {
    this.subscribers.add(handler);
    return () => this.subscribers.delete(handler);
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Resolves once the first list is in the store, or when the informer stops. */
  async waitForSync(): Promise<void> {
    await Promise.race([this.syncedOnce, new Promise((resolve) => this.stopping.signal.addEventListener('abort', resolve, { once: true }))]);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  health(): InformerHealth {
    return { ...this.state };
  }

  private async run(): Promise<void> {
    let resourceVersion: string | undefined;
    while (!this.stopping.signal.aborted) {
      try {
        resourceVersion ??= await this.relist();
        const ending = await this.watch(resourceVersion);
        resourceVersion = ending.resourceVersion;
        if (ending.reason === 'stalled') {
          this.restarted('stalled');
          this.log.warn({ silentForMs: ending.silentForMs }, 'watch went silent; relisting');
          resourceVersion = undefined;
        } else if (ending.reason === 'relist-due') {
          resourceVersion = undefined;
        }
        // 'closed': the apiserver ended the watch at its timeout; resume from where it stopped.
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        this.state.connected = false;
        resourceVersion = undefined;
        if (isGone(error) && this.clock.now() - this.lastListAt > 1_000) {
          // Our resourceVersion fell out of etcd's history: only a fresh list can catch up. (A 410
          // right after a fresh list is something else, and goes through the backoff below.)
          this.restarted('gone');
          this.log.info('watch expired (410 Gone); relisting');
          continue;
        }
        this.restarted('error');
        const retryInMs = this.backoff.nextDelayMs(this.clock.now());
        this.log.warn({ err: error, retryInMs }, 'list or watch failed; retrying');
        await sleep(this.clock, retryInMs, this.stopping.signal);
      }
    }
    this.state.connected = false;
  }

  /** Loads the whole collection, replaces the store, and announces every key. */
  private async relist(): Promise<string> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.source.list({ continueToken, limit: this.pageSize, signal: this.stopping.signal });
      items.push(...page.items);
      continueToken = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? '';
    } while (continueToken);

    const previous = new Map(this.objects.list().map((object) => [keyOf(object), object] as const));
    const gone = this.objects.replaceAll(items);
    this.lastListAt = this.clock.now();
    this.touched();
    for (const object of gone) this.emit({ type: 'deleted', object });
    for (const object of items) this.emit({ type: 'resynced', object, previous: previous.get(keyOf(object)) });
    if (!this.state.synced) {
      this.state.synced = true;
      this.markSynced();
      this.log.info({ objects: items.length }, 'synced');
    } else {
      this.log.debug({ objects: items.length, gone: gone.length }, 'relisted');
    }
    return resourceVersion;
  }

  /**
   * Watches from `resourceVersion` until the server closes the stream (a normal timeout), the
   * watchdog sees silence, or the periodic relist is due. Errors propagate.
   */
  private async watch(resourceVersion: string): Promise<{ resourceVersion: string; reason: 'closed' | 'stalled' | 'relist-due'; silentForMs?: number }> {
    // The apiserver ends each watch after timeoutSeconds; a random spread keeps many informers
    // from reconnecting in step (client-go does the same).
    const timeoutSeconds = Math.floor(this.watchTimeoutSeconds * (1 + this.random()));
    const stallTimeoutMs = this.stallTimeoutMs ?? timeoutSeconds * 1000 + 30_000;
    const aborter = new AbortController();
    const abortWith = (reason: 'stalled' | 'relist-due') => aborter.abort(reason);
    const stopListener = () => aborter.abort('stopped');
    this.stopping.signal.addEventListener('abort', stopListener, { once: true });
    let watchdog: Timer = this.clock.setTimer(() => abortWith('stalled'), stallTimeoutMs);
    const relistTimer = this.clock.setTimer(() => abortWith('relist-due'), Math.max(0, this.lastListAt + this.relistIntervalMs - this.clock.now()));
    let current = resourceVersion;
    let received = 0;
    const openedAt = this.clock.now();
    try {
      for await (const event of this.source.watch({ resourceVersion: current, timeoutSeconds, signal: aborter.signal })) {
        if (aborter.signal.aborted) break;
        watchdog.cancel();
        watchdog = this.clock.setTimer(() => abortWith('stalled'), stallTimeoutMs);
        received++;
        this.touched();
        current = event.object.metadata?.resourceVersion ?? current;
        this.apply(event);
      }
    } catch (error) {
      if (!aborter.signal.aborted) throw error;
    } finally {
      watchdog.cancel();
      relistTimer.cancel();
      this.stopping.signal.removeEventListener('abort', stopListener);
    }
    const reason = aborter.signal.reason as unknown;
    if (reason === 'stalled') return { resourceVersion: current, reason, silentForMs: stallTimeoutMs };
    if (reason === 'relist-due') return { resourceVersion: current, reason };
    if (!aborter.signal.aborted && received === 0 && this.clock.now() - openedAt < 1_000) {
      // A watch the server ends at once, empty, is a failure in disguise: back off, don't spin.
      throw new Error('watch closed immediately without events');
    }
    return { resourceVersion: current, reason: 'closed' };
  }

  private apply(event: WatchEvent<T>): void {
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const previous = this.objects.upsert(event.object);
        this.emit({ type: previous === undefined ? 'added' : 'modified', object: event.object, previous });
        return;
      }
      case 'DELETED': {
        const previous = this.objects.remove(event.object);
        this.emit({ type: 'deleted', object: event.object, previous });
        return;
      }
      case 'BOOKMARK':
        return;
    }
  }

  private emit(event: InformerEvent<T>): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        this.log.error({ err: error, eventType: event.type }, 'informer subscriber threw; the event still reached the others');
      }
    }
  }

  private touched(): void {
    this.state.connected = true;
    this.state.lastEventAt = this.clock.now();
    this.backoff.markHealthy(this.clock.now());
  }

  private restarted(reason: RestartReason): void {
    this.state.restarts++;
    this.observer.restarted?.(reason);
  }
}
