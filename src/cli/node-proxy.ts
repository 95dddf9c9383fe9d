import { parseArgs } from 'node:util';
import { parseDurationFlag } from '../api/v1alpha1/duration.ts';
import { parseListenAddress } from '../runtime/health-server.ts';
import { createLogger } from '../log.ts';
import { startTcpForwarder, type HostPort } from '../node-proxy/forwarder.ts';

export const nodeProxyUsage = `dockyard node-proxy --listen HOST:PORT --upstream HOST:PORT [flags]
      Forward TCP connections from HOST:PORT (the node's loopback) to the registry Service.
      --connect-timeout DURATION   give up on an upstream that does not accept (default 10s)
      --idle-timeout DURATION      close connections idle this long, 0 for never (default 10m)
      --drain-timeout DURATION     on SIGTERM, let open connections finish this long (default 20s)
      --log-level LEVEL            trace, debug, info, warn, error (default info)`;

/** `dockyard node-proxy`: forwards until SIGTERM/SIGINT, then drains; returns the exit code. */
export async function nodeProxyCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: 'string' },
      upstream: { type: 'string' },
      'connect-timeout': { type: 'string', default: '10s' },
      'idle-timeout': { type: 'string', default: '10m' },
      'drain-timeout': { type: 'string', default: '20s' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  if (values.listen === undefined || values.upstream === undefined) throw new Error('--listen and --upstream are required');
  const listen = parseListenAddress(values.listen);
  const upstream = parseUpstream(values.upstream);
  const drainMs = parseDurationFlag('drain-timeout', values['drain-timeout'], { allowZero: true });
  const log = createLogger({ level: values['log-level'], name: 'dockyard-node-proxy' });

  const forwarder = await startTcpForwarder({
    listen,
    upstream,
    connectTimeoutMs: parseDurationFlag('connect-timeout', values['connect-timeout'], { allowZero: true }),
    idleTimeoutMs: parseDurationFlag('idle-timeout', values['idle-timeout'], { allowZero: true }),
    log,
  });
  log.info({ listen: `${forwarder.address.address}:${forwarder.address.port}`, upstream: `${upstream.host}:${upstream.port}` }, 'started forwarding');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info({ signal, drainMs }, 'received signal; draining connections');
  await forwarder.close(drainMs);
  return 0;
}

/** An upstream needs a host: ":5000" would mean this node, which is never the registry. */
function parseUpstream(address: string): HostPort {
  const { host, port } = parseListenAddress(address);
  if (address.lastIndexOf(':') <= 0 || port === 0)
    throw new Error(`--upstream ${JSON.stringify(address)}: want host:port, such as main-registry.team-a.svc:5000`);
  return { host, port };
}
