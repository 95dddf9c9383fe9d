import type { Logger } from 'pino';
import { systemClock, type Clock, type Timer } from './clock.ts';
import type { KubeClient } from './kube-client.ts';
import { microTime } from './kube-time.ts';
import { coreResources, type KubeObject } from './resource.ts';

export interface EventInput {
  type: 'Normal' | 'Warning';
  /** Why, in UpperCamelCase: "ApplyFailed", "Ready". */
  reason: string;
  /** What the operator did or tried, in UpperCamelCase: "Reconcile", "Cleanup". */
  action: string;
  /** For humans; events.k8s.io caps it at 1 kB. */
  note: string;
}

export interface EventSeries {
  count: number;
  lastObservedTime: string;
}

/** Where events go: the apiserver in production, a recording fake in unit tests. */
export interface EventSink {
  create(event: KubeObject): Promise<unknown>;
  updateSeries(namespace: string, name: string, series: EventSeries): Promise<unknown>;
}

export function apiEventSink(client: KubeClient): EventSink {
  return {
    create: (event) => client.create(coreResources.events, event),
    updateSeries: (namespace, name, series) => client.patch(coreResources.events, { namespace, name }, 'merge', { series }),
  };
}

export interface EventRecorderOptions {
  sink: EventSink;
  log: Logger;
  /** events.k8s.io `reportingController`, e.g. "dockyard.dev/operator". */
  reportingController: string;
  /** events.k8s.io `reportingInstance`: this replica's identity. */
  reportingInstance: string;
  clock?: Clock;
  /** A repeat later than this after the last one starts a new Event (client-go: 6 min). */
  seriesWindowMs?: number;
  /** Counts of a running series are written at most this often (client-go: 30 min). */
  seriesHeartbeatMs?: number;
  /** Bound on remembered series, oldest forgotten first. */
  maxSeries?: number;
}

interface Series {
  namespace: string;
  name: string;
  count: number;
  writtenCount: number;
  lastObservedAt: number;
  /** Writes for one Event go in order: a series patch must not overtake the create. */
  writes: Promise<void>;
}

/**
 * Records events.k8s.io/v1 Events, aggregating repeats the way client-go's new recorder does:
 * the first occurrence creates an Event, the first repeat turns it into a series (count 2), and
 * further repeats only count in memory, written by a heartbeat. A reconcile that reports the same
 * thing every pass therefore costs one write per heartbeat, not one per pass. Recording never
 * throws and never blocks a reconcile: Events are explanations, not state.
 */
export class EventRecorder {
  private readonly options: Required<Omit<EventRecorderOptions, 'clock'>>;
  private readonly clock: Clock;
  private readonly series = new Map<string, Series>();
  private heartbeat: Timer | undefined;

  constructor(options: EventRecorderOptions) {
    this.clock = options.clock ?? systemClock;
    this.options = { seriesWindowMs: 6 * 60_000, seriesHeartbeatMs: 30 * 60_000, maxSeries: 4096, ...options };
  }

  record(regarding: KubeObject, input: EventInput): void {
    const metadata = regarding.metadata ?? {};
    const identity = [metadata.uid ?? `${metadata.namespace}/${metadata.name}`, input.type, input.reason, input.action, input.note].join('\u0000');
    const now = this.clock.now();
    const known = this.series.get(identity);
    if (known !== undefined && now - known.lastObservedAt <= this.options.seriesWindowMs) {
      known.count++;
      known.lastObservedAt = now;
      this.touch(identity, known);
      if (known.count === 2) this.writeSeries(known);
      else this.scheduleHeartbeat();
      return;
    }
    const namespace = metadata.namespace || 'default';
    const name = `${metadata.name ?? 'object'}.${this.nextStamp(now).toString(16)}`;
    const fresh: Series = { namespace, name, count: 1, writtenCount: 1, lastObservedAt: now, writes: Promise.resolve() };
    this.touch(identity, fresh);
    this.enqueueWrite(fresh, () => this.options.sink.create(this.eventBody(regarding, input, namespace, name, now)));
  }

  /**
   * Event names end in a nanosecond stamp, as client-go's do. Several events about one object in
   * the same millisecond must still get different names, so the stamp only ever grows.
   * BigInt: milliseconds times 10^6 no longer fit a double exactly.
   */
  private nextStamp(nowMs: number): bigint {
    const fromClock = BigInt(Math.floor(nowMs)) * 1_000_000n;
    this.lastStamp = fromClock > this.lastStamp ? fromClock : this.lastStamp + 1n;
    return this.lastStamp;
  }
  private lastStamp = 0n;

  /** Writes pending series counts now (at shutdown) and waits for every write in flight. */
  async flush(): Promise<void> {
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
    for (const series of this.series.values()) if (series.count > series.writtenCount) this.writeSeries(series);
    await Promise.all([...this.series.values()].map((series) => series.writes));
  }

  private eventBody(regarding: KubeObject, input: EventInput, namespace: string, name: string, now: number): KubeObject {
    const metadata = regarding.metadata ?? {};
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(now),
      reportingController: this.options.reportingController,
      reportingInstance: this.options.reportingInstance,
      type: input.type,
      reason: input.reason,
      action: input.action,
      note: truncate(input.note, 1024),
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: metadata.name,
        namespace: metadata.namespace,
        uid: metadata.uid,
        resourceVersion: metadata.resourceVersion,
      },
    };
  }

  private writeSeries(series: Series): void {
    const count = series.count;
    const lastObservedTime = microTime(series.lastObservedAt);
    series.writtenCount = count;
    this.enqueueWrite(series, () => this.options.sink.updateSeries(series.namespace, series.name, { count, lastObservedTime }));
  }

  private enqueueWrite(series: Series, write: () => Promise<unknown>): void {
    series.writes = series.writes.then(write).then(
      () => undefined,
      (error: unknown) => this.options.log.warn({ err: error, event: `${series.namespace}/${series.name}` }, 'could not record event'),
    );
  }

  private touch(identity: string, series: Series): void {
    this.series.delete(identity);
    this.series.set(identity, series);
    while (this.series.size > this.options.maxSeries) {
      const oldest = this.series.keys().next().value;
      if (oldest === undefined) break;
      this.series.delete(oldest);
    }
  }

  private scheduleHeartbeat(): void {
    if (this.heartbeat !== undefined) return;
    this.heartbeat = this.clock.setTimer(() => {
      this.heartbeat = undefined;
      for (const series of this.series.values()) if (series.count > series.writtenCount) this.writeSeries(series);
    }, this.options.seriesHeartbeatMs);
  }
}

function truncate(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let cut = text.slice(0, maxBytes - 3);
  while (Buffer.byteLength(cut) > maxBytes - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}
