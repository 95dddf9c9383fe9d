import type { ObjectList, WatchEvent } from '../../../src/runtime/kube-client.ts';
import type { ListWatchSource } from '../../../src/runtime/list-watch-source.ts';
import type { KubeObject } from '../../../src/runtime/resource.ts';

/** One open watch: events pushed by the fake server, ended or failed on demand or by abort. */
class WatchChannel implements AsyncIterable<WatchEvent<KubeObject>> {
  private readonly pending: Array<WatchEvent<KubeObject>> = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: unknown;

  constructor(signal: AbortSignal) {
    signal.addEventListener('abort', () => this.fail(new DOMException('aborted', 'AbortError')), { once: true });
  }

  push(event: WatchEvent<KubeObject>): void {
    this.pending.push(event);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  fail(error: unknown): void {
    this.failure ??= error;
    this.wake?.();
  }

  get open(): boolean {
    return !this.ended && this.failure === undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WatchEvent<KubeObject>> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const next = this.pending.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/**
 * An in-memory collection with resourceVersions, lists and watches, enough to drive an informer
 * through the failures the real apiserver produces.
 */
export class FakeListWatch implements ListWatchSource<KubeObject> {
  readonly objects = new Map<string, KubeObject>();
  readonly watches: WatchChannel[] = [];
  lists = 0;
  /** While true, changes are stored but no open watch hears of them: a silent stall. */
  silent = false;
  private revision = 1;
  private nextListError: unknown;

  put(name: string, data: Record<string, string> = {}, metadata: KubeObject['metadata'] = {}): KubeObject {
    const object: KubeObject = { metadata: { namespace: 'ns', ...metadata, name, resourceVersion: String(++this.revision) }, data };
    const type = this.objects.has(name) ? 'MODIFIED' : 'ADDED';
    this.objects.set(name, object);
    this.broadcast({ type, object });
    return object;
  }

  delete(name: string): void {
    const object = this.objects.get(name);
    if (!object) throw new Error(`no ${name}`);
    this.objects.delete(name);
    this.broadcast({ type: 'DELETED', object: { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.revision) } } });
  }

  bookmark(): void {
    this.broadcast({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.revision) } } });
  }

  failListOnce(error: unknown): void {
    this.nextListError = error;
  }

  get currentWatch(): WatchChannel | undefined {
    return this.watches.at(-1);
  }

  async list(): Promise<ObjectList<KubeObject>> {
    this.lists++;
    if (this.nextListError !== undefined) {
      const error = this.nextListError;
      this.nextListError = undefined;
      throw error;
    }
    return { metadata: { resourceVersion: String(this.revision) }, items: [...this.objects.values()] };
  }

  watch(options: { signal: AbortSignal }): AsyncIterable<WatchEvent<KubeObject>> {
    const channel = new WatchChannel(options.signal);
    this.watches.push(channel);
    return channel;
  }

  private broadcast(event: WatchEvent<KubeObject>): void {
    if (this.silent) return;
    for (const channel of this.watches) if (channel.open) channel.push(event);
  }
}
