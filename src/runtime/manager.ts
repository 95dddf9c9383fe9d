import type { Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { startHealthServer } from './health-server.ts';
import { ReconnectBackoff } from './backoff.ts';
import { sleep, systemClock } from './clock.ts';
import type { ControllerDefinition } from './controller.ts';
import { isApiError } from './errors.ts';
import { apiEventSink, EventRecorder } from './events.ts';
import type { InformerSettings } from './informer-set.ts';
import { KubeClient } from './kube-client.ts';
import { LeaderElector } from './leader-election.ts';
import { LeaderTerm } from './leader-term.ts';
import { watchTargetName, type WatchTarget } from './list-watch-source.ts';
import { OperatorMetrics } from './metrics.ts';
import { crdNameOf } from './resource.ts';
import { checkStartupRequirements, StartupCheckError, type ApiRequirement, type PermissionRequirement } from './startup-checks.ts';

export interface LeaderElectionSettings {
  namespace: string;
  name: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** This replica's name in the Lease and in Events. */
  identity: string;
  /** host:port of /healthz, /readyz and /metrics. */
  healthAddress: string;
  controllers: ControllerDefinition[];
  /** undefined: this replica always leads (a single replica, or tests). */
  leaderElection: LeaderElectionSettings | undefined;
  informers?: InformerSettings;
  /** How long running reconciles may take to finish at shutdown (default 20 s). */
  drainTimeoutMs?: number;
}

/**
 * The operator process's core: serves health and metrics, checks its prerequisites, campaigns
 * for leadership, and while it leads runs informers and controllers. Losing the lease stops the
 * term at once and campaigns again (no process restart); stopping drains running reconciles,
 * then releases the lease so a standby takes over without waiting for it to expire.
 */
export class Manager {
  readonly metrics = new OperatorMetrics();
  private readonly options: ManagerOptions;
  private readonly log: Logger;
  private readonly client: KubeClient;
  private readonly events: EventRecorder;
  private readonly elector: LeaderElector | undefined;
  private term: LeaderTerm | undefined;
  private server: Server | undefined;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.log = options.log;
    this.client = new KubeClient(options.kubeConfig);
    this.events = new EventRecorder({
      sink: apiEventSink(this.client),
      log: options.log,
      reportingController: 'dockyard.dev/operator',
      reportingInstance: options.identity,
    });
    const election = options.leaderElection;
    this.elector = election && new LeaderElector({ client: this.client, log: options.log, identity: options.identity, ...election });
  }

  /** The address /healthz, /readyz and /metrics are served on, once run() has started. */
  get healthAddress(): string | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? `${address.address}:${address.port}` : undefined;
  }

  /** Runs until `stop` aborts; throws StartupCheckError when prerequisites are missing. */
  async run(stop: AbortSignal): Promise<void> {
    this.server = await startHealthServer(this.options.healthAddress, {
      healthy: () => true,
      ready: () => this.ready(),
      metrics: () => this.metrics.render(),
    });
    this.log.info({ address: this.healthAddress, identity: this.options.identity }, 'started serving health and metrics');
    try {
      await this.checkPrerequisites(stop);
      if (this.elector === undefined) await this.leadUntilStopped(stop);
      else await this.campaignUntilStopped(this.elector, stop);
      await this.events.flush();
    } finally {
      await new Promise((resolve) => this.server?.close(resolve));
      this.log.info('stopped');
    }
  }

  /**
   * Ready while this replica leads with synced caches, or as a standby that reaches the
   * apiserver: a standby must not be restarted or taken out of rotation for waiting its turn.
   */
  private ready(): boolean {
    if (this.term !== undefined) return this.term.synced();
    return this.elector?.healthy() === true;
  }

  private async leadUntilStopped(stop: AbortSignal): Promise<void> {
    this.metrics.setLeader(true);
    this.term = this.newTerm();
    await abortion(stop);
    await this.endTerm({ abort: false });
  }

  private async campaignUntilStopped(elector: LeaderElector, stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      if (!(await elector.acquire(stop))) return;
      this.metrics.setLeader(true);
      this.term = this.newTerm();
      // Renewal keeps running while a stopping term drains, so the lease stays ours until the
      // last reconcile is done; only then is it released.
      const renewing = new AbortController();
      const renewal = elector.renewUntilLost(renewing.signal);
      const ending = await Promise.race([renewal, abortion(stop).then(() => 'stopped' as const)]);
      if (ending === 'lost') {
        await this.endTerm({ abort: true });
        continue;
      }
      await this.endTerm({ abort: false });
      renewing.abort();
      await renewal;
      await elector.release();
    }
  }

  private newTerm(): LeaderTerm {
    return new LeaderTerm({
      client: this.client,
      log: this.log,
      metrics: this.metrics,
      events: this.events,
      controllers: this.options.controllers,
      informers: this.options.informers,
    });
  }

  private async endTerm(options: { abort: boolean }): Promise<void> {
    const term = this.term;
    this.term = undefined;
    this.metrics.setLeader(false);
    await term?.stop({ abort: options.abort, drainTimeoutMs: this.options.drainTimeoutMs ?? 20_000 });
  }

  /**
   * Runs the start-up checks, retrying while the apiserver cannot be reached (a cluster that is
   * still starting is no reason to crash-loop); a definite answer that something is missing
   * throws.
   */
  private async checkPrerequisites(stop: AbortSignal): Promise<void> {
    const backoff = new ReconnectBackoff();
    const requirements = this.requirements();
    while (!stop.aborted) {
      try {
        await checkStartupRequirements(this.client, requirements);
        this.log.info({ apis: requirements.apis.length, permissions: requirements.permissions.length }, 'start-up checks passed');
        return;
      } catch (error) {
        if (error instanceof StartupCheckError || (isApiError(error) && error.code !== 429 && error.code < 500)) throw error;
        const retryInMs = backoff.nextDelayMs(systemClock.now());
        this.log.warn({ err: error, retryInMs }, 'could not run start-up checks; retrying');
        await sleep(systemClock, retryInMs, stop);
      }
    }
  }

  private requirements(): { apis: ApiRequirement[]; permissions: PermissionRequirement[] } {
    const targets = new Map<string, WatchTarget>();
    for (const controller of this.options.controllers) {
      for (const target of [controller.root, ...(controller.owns ?? []), ...(controller.watches ?? []).map((w) => w.target)]) {
        targets.set(watchTargetName(target), target);
      }
    }
    const apis = new Map<string, ApiRequirement>();
    const permissions: PermissionRequirement[] = [];
    for (const [name, { resource, namespace }] of targets) {
      if (resource.customResource) {
        const { group, version, plural } = resource;
        apis.set(crdNameOf(resource), { group, version, plural, crdName: crdNameOf(resource) });
      }
      for (const verb of ['list', 'watch']) {
        permissions.push({ verb, group: resource.group, resource: resource.plural, namespace, reason: `the ${name} informer` });
      }
    }
    for (const controller of this.options.controllers) permissions.push(...(controller.permissions ?? []));
    for (const verb of ['create', 'patch']) {
      permissions.push({ verb, group: 'events.k8s.io', resource: 'events', reason: 'Events that explain what the operator did' });
    }
    const election = this.options.leaderElection;
    if (election) {
      for (const verb of ['get', 'create', 'update']) {
        permissions.push({ verb, group: 'coordination.k8s.io', resource: 'leases', namespace: election.namespace, reason: 'leader election' });
      }
    }
    return { apis: [...apis.values()], permissions };
  }
}

function abortion(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
