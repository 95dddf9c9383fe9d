import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { parseDurationFlag } from '../api/v1alpha1/duration.ts';
import { productControllers } from '../controllers/index.ts';
import { parsePullSecretSources } from '../controllers/registry/options.ts';
import { loadKubeConfig } from '../kube-config.ts';
import { createLogger } from '../log.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import type { InformerSettings } from '../runtime/informer-set.ts';
import { Manager } from '../runtime/manager.ts';
import { version } from '../version.ts';

export const operatorUsage = `dockyard operator [flags]
      Run the operator: reconcile Registry, ImageRepository and RetentionPolicy objects.
      --kubeconfig PATH                 cluster credentials (default: $KUBECONFIG, in-cluster, ~/.kube/config)
      --health-addr HOST:PORT           serve /healthz, /readyz and /metrics here (default :8081)
      --no-leader-elect                 run without leader election (a single replica only)
      --leader-election-namespace NS    namespace of the Lease (default: the pod's namespace)
      --leader-election-name NAME       name of the Lease (default dockyard-operator)
      --lease-duration, --renew-deadline, --retry-period DURATION
                                        leader election timings (default 15s, 10s, 2s)
      --identity NAME                   this replica's name in the Lease (default: hostname + random suffix)
      --image IMAGE                     the Dockyard image the registry's auth container and node proxy run
                                        (default $DOCKYARD_IMAGE, else dockyard:<version>)
      --pull-secret-sources NAMESPACES  namespaces whose Registries may place pull Secrets in other namespaces:
                                        a comma-separated list, or '*' for all (default: none, each Registry
                                        keeps to its own namespace); only who runs the operator can grant it
      --cluster-domain DOMAIN           the cluster's DNS domain (default cluster.local)
      --jobs-namespace NS               where retention runs (CronJobs, Jobs) and their credentials copies live
                                        (default: the operator's own namespace)
      --jobs-service-account NAME       the ServiceAccount retention runs use (default dockyard-retention); it needs
                                        only read access to workloads and policies, never the operator's rights
      --log-level LEVEL                 trace, debug, info, warn, error (default info)`;

/** What tests and fixtures may change beyond the flags. */
export interface OperatorOverrides {
  controllers?: ControllerDefinition[];
  informers?: InformerSettings;
}

/** `dockyard operator`: parses its flags, runs the manager until SIGTERM/SIGINT, returns the exit code. */
export async function operatorCommand(args: string[], overrides: OperatorOverrides = {}): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'health-addr': { type: 'string', default: ':8081' },
      'leader-elect': { type: 'boolean', default: true },
      'leader-election-namespace': { type: 'string' },
      'leader-election-name': { type: 'string', default: 'dockyard-operator' },
      'lease-duration': { type: 'string', default: '15s' },
      'renew-deadline': { type: 'string', default: '10s' },
      'retry-period': { type: 'string', default: '2s' },
      identity: { type: 'string' },
      'log-level': { type: 'string' },
      image: { type: 'string' },
      'pull-secret-sources': { type: 'string' },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      'jobs-namespace': { type: 'string' },
      'jobs-service-account': { type: 'string', default: 'dockyard-retention' },
    },
    allowNegative: true,
    strict: true,
  });
  const identity = values.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  const log = createLogger({ level: values['log-level'] });
  const manager = new Manager({
    kubeConfig: loadKubeConfig(values.kubeconfig),
    log,
    identity,
    healthAddress: values['health-addr'],
    controllers:
      overrides.controllers ??
      productControllers({
        operatorImage: values.image ?? process.env['DOCKYARD_IMAGE'] ?? `dockyard:${version}`,
        pullSecretSources: parsePullSecretSources(values['pull-secret-sources']),
        clusterDomain: values['cluster-domain'],
        jobsNamespace: values['jobs-namespace'] ?? podNamespace(),
        jobsServiceAccount: values['jobs-service-account'],
      }),
    informers: overrides.informers,
    leaderElection: values['leader-elect']
      ? {
          namespace: values['leader-election-namespace'] ?? podNamespace(),
          name: values['leader-election-name'],
          leaseDurationMs: parseDurationFlag('lease-duration', values['lease-duration']),
          renewDeadlineMs: parseDurationFlag('renew-deadline', values['renew-deadline']),
          retryPeriodMs: parseDurationFlag('retry-period', values['retry-period']),
        }
      : undefined,
  });

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      log.warn({ signal }, 'received a second signal; exiting without draining');
      process.exit(1);
    }
    log.info({ signal }, 'received signal; shutting down');
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await manager.run(stop.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return 0;
}

/** The namespace to hold the Lease in: the pod's own, as the downward API or service account says. */
function podNamespace(): string {
  const fromEnvironment = process.env['POD_NAMESPACE'];
  if (fromEnvironment) return fromEnvironment;
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim();
  } catch {
    return 'default';
  }
}
