import { createServer, type Server } from 'node:http';

export interface HealthChecks {
  /** Liveness: the process is not wedged. */
  healthy: () => boolean;
  /** Readiness: the process can do its job now. */
  ready: () => boolean;
}

/** Serves /healthz and /readyz; anything else is 404. */
export function startHealthServer(address: string, checks: HealthChecks): Promise<Server> {
  const { host, port } = parseListenAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const check = path === '/healthz' || path === '/livez' ? checks.healthy : path === '/readyz' ? checks.ready : undefined;
    if (check === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const ok = check();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Accepts ":8081", "0.0.0.0:8081" or "127.0.0.1:0". */
export function parseListenAddress(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  const host = separator > 0 ? address.slice(0, separator) : '0.0.0.0';
  const port = Number(address.slice(separator + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid listen address ${JSON.stringify(address)}: want host:port`);
  }
  return { host: host.replace(/^\[|\]$/g, ''), port };
}
