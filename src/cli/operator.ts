import { VersionApi } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHealthServer } from '../health-server.ts';
import { loadKubeConfig } from '../kube-config.ts';
import { createLogger } from '../log.ts';

export interface OperatorOptions {
  kubeconfig?: string;
  healthAddress: string;
  logLevel?: string;
}

/**
 * The operator process. For now it connects to the cluster, reports what it reached and serves
 * health endpoints; the controllers are registered here as they land.
 */
export async function runOperator(options: OperatorOptions): Promise<number> {
  const log = createLogger({ level: options.logLevel });
  const kubeConfig = loadKubeConfig(options.kubeconfig);
  const server = kubeConfig.getCurrentCluster()?.server;
  let connected = false;
  const health = await startHealthServer(options.healthAddress, { healthy: () => true, ready: () => connected });
  log.info({ address: health.address() }, 'serving health endpoints');

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'received signal, shutting down');
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  const versions = kubeConfig.makeApiClient(VersionApi);
  for (let attempt = 1; !stop.signal.aborted && !connected; attempt++) {
    try {
      const version = await versions.getCode();
      connected = true;
      log.info({ server, kubernetesVersion: version.gitVersion }, 'connected to cluster');
    } catch (error) {
      const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
      log.warn({ server, attempt, retryInMs: delayMs, err: error }, 'could not reach the cluster, retrying');
      await sleep(delayMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  }

  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    else stop.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await new Promise<void>((resolve) => health.close(() => resolve()));
  log.info('stopped');
  return 0;
}
