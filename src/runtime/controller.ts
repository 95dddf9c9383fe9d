import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { applyObject, type ApplyResult } from './apply.ts';
import { ApplyRejectedError, isInvalid, isTerminal } from './errors.ts';
import { RejectedApplies } from './rejected-applies.ts';
import type { EventInput, EventRecorder } from './events.ts';
import { reconcileWithFinalizer, type FinalizerOutcome } from './finalizers.ts';
import type { InformerEvent } from './informer.ts';
import type { InformerSet } from './informer-set.ts';
import type { KubeClient } from './kube-client.ts';
import { watchTargetName, type WatchTarget } from './list-watch-source.ts';
import type { GaugeSample, OperatorMetrics, ReconcileOutcome } from './metrics.ts';
import { controllerOfKind } from './owner-references.ts';
import { formatKey, keyOf, parseKey, type KubeObject, type ObjectKey, type ResourceType } from './resource.ts';
import type { PermissionRequirement } from './startup-checks.ts';
import { writeStatus } from './status.ts';
import type { IndexFunction, ReadonlyStore } from './store.ts';
import { WorkQueue } from './workqueue.ts';

export interface ReconcileResult {
  /** Look at this key again after this long, even if nothing changes. */
  requeueAfterMs?: number;
}

/**
 * A controller, declared: the kind it reconciles, the kinds it owns (their events reach the owner
 * through the controller ownerReference), other watches with a mapping to keys, and a level-based
 * reconcile that gets a key, never "what happened". Throwing retries with backoff; throwing a
 * TerminalError logs and counts without retrying.
 */
export interface ControllerDefinition<T extends KubeObject = KubeObject> {
  name: string;
  root: WatchTarget;
  owns?: WatchTarget[];
  /**
   * Other collections whose changes concern some roots: `map` names the root keys to reconcile,
   * and may read this controller's caches (through their indexes) to find them.
   */
  watches?: Array<{ target: WatchTarget; map: (object: KubeObject, caches: CacheReader) => string[] }>;
  /** Indexes on watched caches, for `map` and the reconcile to find objects by a field without scanning. */
  indexes?: Array<{ target: WatchTarget; name: string; keys: IndexFunction }>;
  reconcile(key: string, context: ReconcileContext<T>): Promise<ReconcileResult | void>;
  /** Reconciles of different keys at once (default 1); one key never runs twice at once. */
  maxConcurrentReconciles?: number;
  /**
   * After a successful reconcile without requeueAfterMs, look again after about this long
   * (default 10 min): a safety net against any event that was missed anyway.
   */
  periodicRequeueMs?: number;
  /**
   * RBAC the reconcile needs beyond list/watch of what it watches, checked at start-up. (The
   * CRDs it needs are those of the custom kinds it watches; they are checked too.)
   */
  permissions?: PermissionRequirement[];
  /**
   * Gauges computed from this controller's caches at each scrape (such as the outcome of each
   * object's last run, read from its status): a series goes when its object goes, and only the
   * leader, whose caches are filled, exports them.
   */
  gauges?: CacheGauge[];
}

export interface CacheGauge {
  name: string;
  help: string;
  labelNames: readonly string[];
  samples(caches: CacheReader): Iterable<GaugeSample>;
}

/** Erases a controller's object type so definitions of different kinds fit in one list. */
export function defineController<T extends KubeObject>(definition: ControllerDefinition<T>): ControllerDefinition {
  return definition as unknown as ControllerDefinition;
}

/** Read access to the caches of the targets one controller watches. */
export interface CacheReader {
  /** The cache of a target this controller watches (root, owns or watches); any other target throws. */
  cache<U extends KubeObject = KubeObject>(target: WatchTarget): ReadonlyStore<U>;
}

export interface ReconcileContext<T extends KubeObject> extends CacheReader {
  readonly key: ObjectKey;
  /** The object as the cache holds it now; undefined once it is gone. */
  readonly object: T | undefined;
  /** Logs with `controller`, `key` and `reconcileID`. Say what happened, in the past tense. */
  readonly log: Logger;
  readonly reconcileID: string;
  /** Aborted when reconciling must stop at once (leadership lost, shutdown timed out). */
  readonly signal: AbortSignal;
  readonly client: KubeClient;
  /** Server-side applies a child, skipping the request when the cached child already matches. */
  apply<U extends KubeObject>(resource: ResourceType, desired: U): Promise<ApplyResult<U>>;
  /** Writes the root object's status, skipping the request when it is unchanged. */
  writeStatus(status: unknown): Promise<boolean>;
  /** Records an Event about the root object (or `regarding`). */
  recordEvent(input: EventInput, regarding?: KubeObject): void;
  /** Runs the finalizer state machine for the root object. */
  finalize<R>(finalizer: string, handlers: { apply: () => Promise<R>; cleanup: () => Promise<void> }): Promise<FinalizerOutcome<R>>;
}

export interface ControllerDependencies {
  client: KubeClient;
  informers: InformerSet;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
}

/** One controller at run time: subscriptions that feed a workqueue, and its workers. */
export class Controller {
  readonly name: string;
  private readonly definition: ControllerDefinition;
  private readonly deps: ControllerDependencies;
  private readonly queue: WorkQueue;
  private readonly watched: WatchTarget[];
  private readonly watchedNames: ReadonlySet<string>;
  private readonly caches: CacheReader;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly aborter = new AbortController();
  private readonly rejectedApplies = new RejectedApplies();
  private workers: Promise<void> | undefined;

  constructor(definition: ControllerDefinition, deps: ControllerDependencies) {
    this.name = definition.name;
    this.definition = definition;
    this.deps = deps;
    this.queue = new WorkQueue({ observer: deps.metrics.workQueueObserver(definition.name) });
    this.unsubscribe.push(deps.metrics.trackWorkQueue(definition.name, this.queue));
    this.watched = [definition.root, ...(definition.owns ?? []), ...(definition.watches ?? []).map((w) => w.target)];
    this.watchedNames = new Set(this.watched.map(watchTargetName));
    this.caches = { cache: <U extends KubeObject>(target: WatchTarget) => this.watchedCache<U>(target) };
    for (const index of definition.indexes ?? []) {
      if (!this.watchedNames.has(watchTargetName(index.target))) {
        throw new Error(`controller ${definition.name} declares index ${index.name} on ${watchTargetName(index.target)}, which it does not watch`);
      }
      deps.informers.informerFor(index.target).addIndex(index.name, index.keys);
    }

    for (const gauge of definition.gauges ?? []) this.unsubscribe.push(deps.metrics.trackCacheGauge(gauge, () => gauge.samples(this.caches)));

    const rootResource = definition.root.resource;
    this.subscribe(definition.root, (object) => [keyOf(object)]);
    for (const owned of definition.owns ?? []) {
      this.subscribe(owned, (object) => {
        const owner = controllerOfKind(object, rootResource);
        if (owner === undefined) return [];
        return [formatKey({ namespace: rootResource.namespaced ? object.metadata?.namespace : undefined, name: owner.name })];
      });
    }
    for (const watch of definition.watches ?? []) this.subscribe(watch.target, (object) => watch.map(object, this.caches));
  }

  /** Starts the workers; call once the informers have synced, so reconciles see full caches. */
  start(): void {
    this.workers ??= this.queue.process(
      (key) => this.reconcile(key),
      this.definition.maxConcurrentReconciles ?? 1,
      (key, error) => this.deps.log.error({ controller: this.name, key, err: error }, 'reconcile handler threw unexpectedly'),
    );
  }

  /**
   * Stops taking keys and waits for running reconciles to finish. With `abort` (leadership lost,
   * or the drain took too long) their signal fires first, so they stop writing as soon as they can.
   */
  async stop(options: { abort: boolean }): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    if (options.abort) this.aborter.abort();
    await this.queue.shutDown();
    await this.workers;
  }

  /** Stops running reconciles' signals without waiting (shutdown drain timed out). */
  abortInFlight(): void {
    this.aborter.abort();
  }

  get inFlight(): number {
    return this.queue.processingCount;
  }

  private subscribe(target: WatchTarget, keysOf: (object: KubeObject) => string[]): void {
    const informer = this.deps.informers.informerFor(target);
    this.unsubscribe.push(
      informer.subscribe((event: InformerEvent<KubeObject>) => {
        for (const key of keysOf(event.object)) this.queue.add(key);
        if (event.previous !== undefined) for (const key of keysOf(event.previous)) this.queue.add(key);
      }),
    );
  }

  private async reconcile(key: string): Promise<void> {
    const reconcileID = randomUUID();
    const log = this.deps.log.child({ controller: this.name, key, reconcileID });
    const started = performance.now();
    if (this.rootStore().get(key) === undefined) this.rejectedApplies.forget(key);
    const seconds = () => (performance.now() - started) / 1000;
    let outcome: ReconcileOutcome;
    try {
      const result = await this.definition.reconcile(key, this.context(key, reconcileID, log));
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        outcome = 'requeue';
        this.queue.addAfter(key, result.requeueAfterMs);
      } else {
        outcome = 'success';
        if (this.rootStore().get(key) !== undefined) this.queue.addAfter(key, this.periodicRequeueDelay());
      }
      log.debug({ durationMs: Math.round(seconds() * 1000), requeueAfterMs: result?.requeueAfterMs }, 'reconciled');
    } catch (error) {
      if (isTerminal(error)) {
        outcome = 'terminal';
        this.queue.forget(key);
        log.error({ err: error }, 'reconcile failed and will not be retried until the object changes');
      } else {
        outcome = 'error';
        this.queue.addRateLimited(key);
        log.warn({ err: error, failures: this.queue.failures(key) }, 'reconcile failed; retrying with backoff');
      }
    }
    this.deps.metrics.reconciled(this.name, outcome, seconds());
  }

  private context(key: string, reconcileID: string, log: Logger): ReconcileContext<KubeObject> {
    const { client, events } = this.deps;
    const root = this.definition.root.resource;
    const object = this.rootStore().get(key);
    const requireObject = (what: string): KubeObject => {
      if (object === undefined) throw new Error(`cannot ${what}: ${key} is not in the cache (deleted?)`);
      return object;
    };
    return {
      key: parseKey(key),
      object,
      log,
      reconcileID,
      signal: this.aborter.signal,
      client,
      cache: this.caches.cache,
      apply: <U extends KubeObject>(resource: ResourceType, desired: U) => this.applyChild(key, object, resource, desired),
      writeStatus: (status) => writeStatus(client, root, requireObject('write status'), status, { signal: this.aborter.signal }),
      recordEvent: (input, regarding) => events.record(regarding ?? requireObject('record an event'), input),
      finalize: (finalizer, handlers) =>
        reconcileWithFinalizer(requireObject('run finalizers'), finalizer, {
          ...handlers,
          patch: (operations) => client.patch(root, parseKey(key), 'json', operations, { signal: this.aborter.signal }),
        }),
    };
  }

  /**
   * The cache of a watched target. Asking for any other target would create an informer nobody
   * starts, whose empty store never fills: a reconcile would see "nothing there" forever.
   */
  private watchedCache<U extends KubeObject>(target: WatchTarget): ReadonlyStore<U> {
    if (!this.watchedNames.has(watchTargetName(target))) {
      throw new Error(`controller ${this.name} read the cache of ${watchTargetName(target)}, which it does not watch; add it to owns or watches`);
    }
    return this.deps.informers.informerFor(target).store as unknown as ReadonlyStore<U>;
  }

  private rootStore(): ReadonlyStore<KubeObject> {
    return this.deps.informers.informerFor(this.definition.root).store;
  }

  /**
   * Server-side applies a child. An object the apiserver refused (422) is remembered and not sent
   * again for the same generation of the root: the refusal is thrown again instead, as an
   * ApplyRejectedError (terminal), for the reconcile to report in the root's status.
   */
  private async applyChild<U extends KubeObject>(rootKey: string, root: KubeObject | undefined, resource: ResourceType, desired: U) {
    const rootVersion = { key: rootKey, generation: root?.metadata?.generation };
    const child = `${resource.group}/${resource.kind}/${keyOf(desired)}`;
    const remembered = this.rejectedApplies.recall(rootVersion, child, desired);
    if (remembered !== undefined) throw remembered;
    try {
      return await applyObject(this.deps.client, resource, desired, {
        live: this.cachedObject(resource, desired) as U | undefined,
        signal: this.aborter.signal,
      });
    } catch (error) {
      if (!isInvalid(error)) throw error;
      const rejection = new ApplyRejectedError(resource.kind, keyOf(desired), error);
      this.rejectedApplies.remember(rootVersion, child, desired, rejection);
      throw rejection;
    }
  }

  /** The cached copy of `desired`, from any informer of this controller that watches its kind. */
  private cachedObject(resource: ResourceType, desired: KubeObject): KubeObject | undefined {
    const key = keyOf(desired);
    for (const target of this.watched) {
      if (target.resource.group !== resource.group || target.resource.kind !== resource.kind) continue;
      const cached = this.deps.informers.informerFor(target).store.get(key);
      if (cached !== undefined) return cached;
    }
    return undefined;
  }

  private periodicRequeueDelay(): number {
    const base = this.definition.periodicRequeueMs ?? 10 * 60_000;
    // Spread by ±10%, so objects listed together do not come due together forever.
    return Math.round(base * (0.9 + Math.random() * 0.2));
  }
}
