import { createServer, type Server } from 'node:http';

export interface HealthChecks {
  /** Liveness: the process is not wedged. */
  healthy: () => boolean;
  /** Readiness: the process can do its job now. */
  ready: () => boolean;
  /** Prometheus exposition for /metrics; without it /metrics is 404. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** Serves /healthz, /readyz and /metrics; anything else is 404. */
export function startHealthServer(address: string, checks: HealthChecks): Promise<Server> {
  const { host, port } = parseListenAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics' && checks.metrics) {
      checks.metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
      );
      return;
    }
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
  const portText = address.slice(separator + 1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new Error(`invalid listen address ${JSON.stringify(address)}: want host:port`);
  }
  return { host: host.replace(/^\[|\]$/g, ''), port };
}
