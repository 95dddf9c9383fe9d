import { keyOf, type KubeObject } from './resource.ts';

/** What reconcilers may do with an informer's cache: read it. */
export interface ReadonlyStore<T extends KubeObject> {
  get(key: string): T | undefined;
  list(namespace?: string): T[];
  keys(): string[];
  readonly size: number;
}

/**
 * The in-memory copy of one watched collection, keyed like the workqueue. Objects are the
 * apiserver's JSON as received: treat them as read-only (copy before changing).
 */
export class ObjectStore<T extends KubeObject> implements ReadonlyStore<T> {
  private readonly objects = new Map<string, T>();

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

  /** Stores `object` and returns the version it replaced. */
  upsert(object: T): T | undefined {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    this.objects.set(key, object);
    return previous;
  }

  /** Removes the object with the key of `object` and returns what was stored. */
  remove(object: T): T | undefined {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    this.objects.delete(key);
    return previous;
  }

  /** Replaces the whole content after a list; returns the objects that are gone. */
  replaceAll(objects: T[]): T[] {
    const fresh = new Map(objects.map((object) => [keyOf(object), object] as const));
    const gone = [...this.objects.entries()].filter(([key]) => !fresh.has(key)).map(([, object]) => object);
    this.objects.clear();
    for (const [key, object] of fresh) this.objects.set(key, object);
    return gone;
  }
}
