import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Informer, RestartReason } from './informer.ts';
import type { KubeObject } from './resource.ts';
import type { WorkQueue, WorkQueueObserver } from './workqueue.ts';

export type ReconcileOutcome = 'success' | 'requeue' | 'error' | 'terminal';

export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

/**
 * The operator's Prometheus metrics, on a registry of its own (not prom-client's global one), so
 * several managers in one process, as in tests, do not collide. Names follow controller-runtime's
 * under a `dockyard_` prefix.
 */
export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly queues = new Map<string, WorkQueue>();
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly reconcileTotal: Counter<'controller' | 'result'>;
  private readonly reconcileDuration: Histogram<'controller'>;
  private readonly queueDepth: Gauge<'name'>;
  private readonly queueAdds: Counter<'name'>;
  private readonly queueRetries: Counter<'name'>;
  private readonly informerRestarts: Counter<'informer' | 'reason'>;
  private readonly leader: Gauge;
  /** Gauges whose samples a controller computes at scrape time; registered once, fed by the current leader term. */
  private readonly cacheGauges = new Map<string, { samples: (() => Iterable<GaugeSample>) | undefined }>();

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.reconcileTotal = new Counter({
      name: 'dockyard_reconcile_total',
      help: 'Reconciles by controller and result (success, requeue, error, terminal).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'dockyard_reconcile_duration_seconds',
      help: 'How long reconciles took, by controller.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.queueDepth = new Gauge({ name: 'dockyard_workqueue_depth', help: 'Keys waiting in the workqueue.', labelNames: ['name'], registers });
    this.queueAdds = new Counter({ name: 'dockyard_workqueue_adds_total', help: 'Keys added to the workqueue.', labelNames: ['name'], registers });
    this.queueRetries = new Counter({
      name: 'dockyard_workqueue_retries_total',
      help: 'Keys re-added after a failed reconcile.',
      labelNames: ['name'],
      registers,
    });
    const queues = this.queues;
    new Gauge({
      name: 'dockyard_workqueue_longest_running_processor_seconds',
      help: 'How long the longest reconcile still running has been running.',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const [name, queue] of queues) this.set({ name }, queue.longestRunningMs() / 1000);
      },
    });
    this.informerRestarts = new Counter({
      name: 'dockyard_informer_restarts_total',
      help: 'Informer restarts by reason: error (backoff), gone (410), stalled (watchdog).',
      labelNames: ['informer', 'reason'],
      registers,
    });
    const informers = this.informers;
    new Gauge({
      name: 'dockyard_informer_last_event_age_seconds',
      help: 'Seconds since the informer last heard from the apiserver (list, event or bookmark).',
      labelNames: ['informer'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const [name, informer] of informers) {
          const { lastEventAt } = informer.health();
          if (lastEventAt !== undefined) this.set({ informer: name }, (now - lastEventAt) / 1000);
        }
      },
    });
    new Gauge({
      name: 'dockyard_informer_synced',
      help: '1 when the informer has loaded a complete list.',
      labelNames: ['informer'],
      registers,
      collect() {
        this.reset();
        for (const [name, informer] of informers) this.set({ informer: name }, informer.health().synced ? 1 : 0);
      },
    });
    this.leader = new Gauge({ name: 'dockyard_leader', help: '1 while this replica is the leader.', registers });
  }

  reconciled(controller: string, outcome: ReconcileOutcome, seconds: number): void {
    this.reconcileTotal.inc({ controller, result: outcome });
    this.reconcileDuration.observe({ controller }, seconds);
  }

  workQueueObserver(name: string): WorkQueueObserver {
    return {
      added: () => this.queueAdds.inc({ name }),
      retried: () => this.queueRetries.inc({ name }),
      depthChanged: (depth) => this.queueDepth.set({ name }, depth),
    };
  }

  /** Reports the queue's longest-running item until the returned function is called. */
  trackWorkQueue(name: string, queue: WorkQueue): () => void {
    this.queues.set(name, queue);
    return () => this.queues.delete(name);
  }

  informerObserver(name: string): { restarted(reason: RestartReason): void } {
    return { restarted: (reason) => this.informerRestarts.inc({ informer: name, reason }) };
  }

  trackInformer(name: string, informer: Informer<KubeObject>): () => void {
    this.informers.set(name, informer);
    return () => this.informers.delete(name);
  }

  /** Exports a gauge computed at each scrape by `samples` until the returned function is called (the term ends). */
  trackCacheGauge(definition: { name: string; help: string; labelNames: readonly string[] }, samples: () => Iterable<GaugeSample>): () => void {
    let source = this.cacheGauges.get(definition.name);
    if (source === undefined) {
      const created: { samples: (() => Iterable<GaugeSample>) | undefined } = { samples: undefined };
      source = created;
      this.cacheGauges.set(definition.name, created);
      new Gauge({
        name: definition.name,
        help: definition.help,
        labelNames: [...definition.labelNames],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const sample of created.samples?.() ?? []) this.set(sample.labels, sample.value);
        },
      });
    }
    const entry = source;
    entry.samples = samples;
    return () => {
      if (entry.samples === samples) entry.samples = undefined;
    };
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
