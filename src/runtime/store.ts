import { keyOf, type KubeObject } from './resource.ts';

/** What reconcilers may do with an informer's cache: read it, by key, by namespace or by index. */
export interface ReadonlyStore<T extends KubeObject> {
  get(key: string): T | undefined;
  list(namespace?: string): T[];
  keys(): string[];
  /** The objects whose index `name` yields `value`; throws for an index nobody declared. */
  byIndex(name: string, value: string): T[];
  readonly size: number;
}

/** The values an object is found under in one index (none: not in that index). */
export type IndexFunction<T extends KubeObject = KubeObject> = (object: T) => string[];

/**
 * The in-memory copy of one watched collection, keyed like the workqueue. Objects are the
 * apiserver's JSON as received: treat them as read-only (copy before changing).
 *
 * Indexes answer "which objects mention X" (RetentionPolicies by registryRef, Registries by the
 * ServiceAccounts they patch) without a scan of the whole collection per event, and without a
 * hand-kept map beside the cache that can disagree with it.
 */
export class ObjectStore<T extends KubeObject> implements ReadonlyStore<T> {
  private readonly objects = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunction<T>>();
  /** index name -> indexed value -> keys of the objects under it. */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((object) => object.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  get size(): number {
    return this.objects.size;
  }

  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (index === undefined) throw new Error(`no index named ${JSON.stringify(name)} on this cache; declare it in the controller's indexes`);
    return [...(index.get(value) ?? [])].map((key) => this.objects.get(key)!);
  }

  /**
   * Declares an index, built at once over what the store holds and kept up to date after. A
   * second declaration under the same name must be the same function (two controllers sharing
   * an informer may both declare it); a different one is a programming error.
   */
  addIndex(name: string, indexer: IndexFunction<T>): void {
    const existing = this.indexers.get(name);
    if (existing !== undefined) {
      if (existing !== indexer) throw new Error(`index ${JSON.stringify(name)} is already declared with another function`);
      return;
    }
    this.indexers.set(name, indexer);
    this.indexes.set(name, new Map());
    for (const [key, object] of this.objects) this.indexObject(name, indexer, key, object);
  }

  /** Stores `object` and returns the version it replaced. */
  upsert(object: T): T | undefined {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    if (previous !== undefined) this.unindex(key, previous);
    this.objects.set(key, object);
    this.index(key, object);
    return previous;
  }

  /** Removes the object with the key of `object` and returns what was stored. */
  remove(object: T): T | undefined {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    if (previous !== undefined) this.unindex(key, previous);
    this.objects.delete(key);
    return previous;
  }

  /** Replaces the whole content after a list; returns the objects that are gone. */
  replaceAll(objects: T[]): T[] {
    const fresh = new Map(objects.map((object) => [keyOf(object), object] as const));
    const gone = [...this.objects.entries()].filter(([key]) => !fresh.has(key)).map(([, object]) => object);
    this.objects.clear();
    for (const index of this.indexes.values()) index.clear();
    for (const [key, object] of fresh) {
      this.objects.set(key, object);
      this.index(key, object);
    }
    return gone;
  }

  private index(key: string, object: T): void {
    for (const [name, indexer] of this.indexers) this.indexObject(name, indexer, key, object);
  }

  private indexObject(name: string, indexer: IndexFunction<T>, key: string, object: T): void {
    const index = this.indexes.get(name)!;
    for (const value of new Set(indexer(object))) {
      const keys = index.get(value) ?? new Set<string>();
      keys.add(key);
      index.set(value, keys);
    }
  }

  private unindex(key: string, object: T): void {
    for (const [name, indexer] of this.indexers) {
      const index = this.indexes.get(name)!;
      for (const value of indexer(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
