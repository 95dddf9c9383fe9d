import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { Logger } from 'pino';

export interface HostPort {
  host: string;
  port: number;
}

export interface TcpForwarderOptions {
  listen: HostPort;
  upstream: HostPort;
  /** How long an upstream may take to accept a connection before the client's is cut. */
  connectTimeoutMs?: number;
  /** A connection that moves no byte either way for this long is closed; 0 keeps it forever. */
  idleTimeoutMs?: number;
  /** How often the connection counters are logged (only when they changed). */
  statsIntervalMs?: number;
  log: Logger;
}

export interface ForwarderStats {
  /** Connections open now. */
  active: number;
  accepted: number;
  /** Connections cut because the upstream refused, could not be resolved, or timed out. */
  upstreamFailures: number;
  bytesFromClients: number;
  bytesToClients: number;
}

export interface TcpForwarder {
  /** The bound address (with the port the system chose when listen.port was 0). */
  address: AddressInfo;
  stats(): ForwarderStats;
  /** Stops accepting, lets open connections finish for up to `drainMs`, then cuts the rest. */
  close(drainMs: number): Promise<void>;
}

const keepAliveDelayMs = 30_000;

/**
 * A TCP forwarder: each accepted connection gets its own upstream connection, and bytes flow
 * both ways with backpressure until both sides are done.
 *
 * - Half-close is kept: a client that finishes sending (FIN) still receives the whole answer;
 *   each direction ends on its own, as the two peers end them.
 * - The upstream connection opens on the client's first byte, not on accept. HTTP and TLS clients
 *   speak first, so nothing changes for them, while a connection that closes without a byte (the
 *   kubelet's tcpSocket probe, a port scan) never reaches the upstream: probes stay local and
 *   every open upstream connection carries a real request. The name is resolved per connection,
 *   so a Service that moves is followed.
 * - Failures close both sides: an upstream that refuses, cannot be resolved or does not answer in
 *   time resets the client's connection (RST, so the client fails at once rather than reading an
 *   empty answer); an error on either side destroys the other.
 */
export async function startTcpForwarder(options: TcpForwarderOptions): Promise<TcpForwarder> {
  const { log, upstream } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  const stats: ForwarderStats = { active: 0, accepted: 0, upstreamFailures: 0, bytesFromClients: 0, bytesToClients: 0 };
  const open = new Set<Socket>();
  let lastFailureLoggedAt = 0;

  const failUpstream = (client: Socket, error: Error) => {
    stats.upstreamFailures += 1;
    // One line per interval at most: a down registry and retrying kubelets must not flood the log.
    const now = Date.now();
    if (now - lastFailureLoggedAt >= (options.statsIntervalMs ?? 60_000)) {
      lastFailureLoggedAt = now;
      log.warn(
        { upstream: `${upstream.host}:${upstream.port}`, error: error.message, upstreamFailures: stats.upstreamFailures },
        'could not connect to the upstream; closed the client connection',
      );
    }
    if (!client.destroyed) client.resetAndDestroy();
  };

  const forward = (client: Socket) => {
    stats.accepted += 1;
    stats.active += 1;
    open.add(client);
    client.setNoDelay(true);
    client.setKeepAlive(true, keepAliveDelayMs);
    if (idleTimeoutMs > 0) client.setTimeout(idleTimeoutMs, () => client.destroy());
    let target: Socket | undefined;

    client.on('error', () => target?.destroy());
    client.on('close', () => {
      stats.active -= 1;
      stats.bytesFromClients += client.bytesRead;
      stats.bytesToClients += client.bytesWritten;
      open.delete(client);
      // A client gone without finishing its side leaves nobody to read the upstream's answer.
      if (target !== undefined && !client.readableEnded) target.destroy();
    });
    // Closed before sending anything (a probe): answer the FIN, open nothing upstream.
    client.on('end', () => {
      if (target === undefined) client.end();
    });

    client.once('data', (first: Buffer) => {
      client.pause();
      const socket = connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
      target = socket;
      let connected = false;
      socket.setTimeout(connectTimeoutMs);
      socket.on('timeout', () => (connected ? socket.destroy() : socket.destroy(new Error(`no connection within ${connectTimeoutMs} ms`))));
      socket.on('error', (error) => (connected ? client.destroy() : failUpstream(client, error)));
      socket.on('close', () => {
        // An upstream that ended its side normally lets the client finish reading; otherwise cut.
        if (!socket.readableEnded && !client.destroyed) client.destroy();
      });
      socket.once('connect', () => {
        connected = true;
        socket.setNoDelay(true);
        socket.setKeepAlive(true, keepAliveDelayMs);
        socket.setTimeout(idleTimeoutMs);
        socket.write(first);
        // pipe() forwards backpressure and each side's end (FIN) to the other, one direction at a time.
        client.pipe(socket);
        socket.pipe(client);
      });
    });
  };

  const server = createServer({ allowHalfOpen: true }, forward);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`cannot listen on ${options.listen.host}:${options.listen.port}: ${error.message}`)));
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  server.on('error', (error) => log.error({ error: error.message }, 'the listener failed'));
  const address = server.address() as AddressInfo;

  let logged = '';
  const logStats = (message: string, options: { always?: boolean } = {}) => {
    const snapshot = JSON.stringify(stats);
    if (snapshot === logged && options.always !== true) return;
    logged = snapshot;
    log.info({ ...stats }, message);
  };
  // The connection counters as a log line: no metrics endpoint to secure, bind and probe on the node.
  const statsTimer = setInterval(() => logStats('forwarded connections'), options.statsIntervalMs ?? 60_000);
  statsTimer.unref();

  return {
    address,
    stats: () => ({ ...stats }),
    close: async (drainMs) => {
      clearInterval(statsTimer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + drainMs;
      while (open.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      for (const socket of open) socket.destroy();
      await closed;
      logStats('stopped forwarding', { always: true });
    },
  };
}
