import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the proxy forwarded: to which upstream, and what. */
export interface ForwardedRequest {
  upstream: string;
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  status: number;
}

/**
 * A plain HTTP reverse proxy on a free 127.0.0.1 port, standing in for a Service in front of
 * several Pods: each request goes to the next upstream in turn (round robin, no stickiness, as
 * kube-proxy does not promise any), bodies streamed both ways, the client's Host header kept so
 * the upstream builds its Location and realm URLs for the proxy's address. It records every
 * request, so a test can tell which upstream served what, and how often a remote was asked.
 */
export class LoopbackProxy {
  readonly forwarded: ForwardedRequest[] = [];
  private readonly upstreams: URL[];
  private readonly server: Server;
  private next = 0;

  private constructor(upstreams: string[]) {
    if (upstreams.length === 0) throw new Error('a proxy needs at least one upstream');
    this.upstreams = upstreams.map((upstream) => new URL(upstream));
    this.server = createServer((incoming, outgoing) => this.forward(incoming, outgoing));
  }

  static async start(upstreams: string[]): Promise<LoopbackProxy> {
    const proxy = new LoopbackProxy(upstreams);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** http://127.0.0.1:PORT */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Forwarded requests whose method and path match, and whose answer had `status` when given. */
  count(method: string, path: RegExp, status?: number): number {
    return this.forwarded.filter((entry) => entry.method === method && path.test(entry.path) && (status === undefined || entry.status === status)).length;
  }

  private forward(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const upstream = this.upstreams[this.next % this.upstreams.length]!;
    this.next += 1;
    const method = incoming.method ?? 'GET';
    const path = incoming.url ?? '/';
    const upstreamRequest = request({ host: upstream.hostname, port: upstream.port, method, path, headers: incoming.headers, agent: false }, (answer) => {
      this.forwarded.push({ upstream: upstream.origin, method, path, status: answer.statusCode ?? 0 });
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstreamRequest.on('error', (error) => {
      this.forwarded.push({ upstream: upstream.origin, method, path, status: 502 });
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`proxy: ${upstream.origin} failed: ${error.message}`);
    });
    incoming.pipe(upstreamRequest);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
