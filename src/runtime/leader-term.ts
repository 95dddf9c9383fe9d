import type { Logger } from 'pino';
import { Controller, type ControllerDefinition } from './controller.ts';
import type { EventRecorder } from './events.ts';
import { InformerSet, type InformerSettings } from './informer-set.ts';
import type { KubeClient } from './kube-client.ts';
import type { OperatorMetrics } from './metrics.ts';

export interface LeaderTermOptions {
  client: KubeClient;
  log: Logger;
  metrics: OperatorMetrics;
  events: EventRecorder;
  controllers: ControllerDefinition[];
  informers?: InformerSettings;
}

/**
 * Everything that runs only while this replica leads: fresh informers (a new term starts from a
 * fresh list, never from a cache that went stale while someone else led) and the controllers'
 * workers, started once every informer has synced.
 */
export class LeaderTerm {
  private readonly informers: InformerSet;
  private readonly controllers: Controller[];
  private readonly log: Logger;
  private readonly started: Promise<void>;
  private stopping = false;

  constructor(options: LeaderTermOptions) {
    this.log = options.log;
    this.informers = new InformerSet({ client: options.client, log: options.log, metrics: options.metrics, settings: options.informers });
    const deps = { client: options.client, informers: this.informers, events: options.events, metrics: options.metrics, log: options.log };
    this.controllers = options.controllers.map((definition) => new Controller(definition, deps));
    this.informers.startAll();
    this.started = this.startControllersWhenSynced();
  }

  /** Ready to serve: every informer has a complete cache. */
  synced(): boolean {
    return this.informers.synced();
  }

  /**
   * Stops the controllers, then the informers. `abort` fires the running reconciles' signals at
   * once (leadership lost); otherwise they get `drainTimeoutMs` to finish (shutdown).
   */
  async stop(options: { abort: boolean; drainTimeoutMs: number }): Promise<void> {
    this.stopping = true;
    const drained = Promise.all(this.controllers.map((controller) => controller.stop({ abort: options.abort })));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.drainTimeoutMs)));
    if ((await Promise.race([drained, timedOut])) === 'timeout') {
      const inFlight = this.controllers.reduce((sum, controller) => sum + controller.inFlight, 0);
      this.log.warn({ inFlight, drainTimeoutMs: options.drainTimeoutMs }, 'reconciles did not finish in time; aborted them');
      for (const controller of this.controllers) controller.abortInFlight();
      await drained;
    }
    clearTimeout(timer);
    await this.informers.stopAll();
    await this.started;
  }

  private async startControllersWhenSynced(): Promise<void> {
    try {
      await this.informers.waitForSync();
      if (this.stopping) return;
      for (const controller of this.controllers) controller.start();
      this.log.info({ controllers: this.controllers.map((c) => c.name), sinceProcessStartMs: Math.round(performance.now()) }, 'started controllers');
    } catch (error) {
      this.log.error({ err: error }, 'could not start controllers');
    }
  }
}
