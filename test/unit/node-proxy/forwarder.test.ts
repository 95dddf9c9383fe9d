import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { startTcpForwarder, type TcpForwarder, type TcpForwarderOptions } from '../../../src/node-proxy/forwarder.ts';

const log = pino({ level: 'silent' });
const loopback = '127.0.0.1';

interface Upstream {
  server: Server;
  port: number;
  /** Connections the upstream accepted. */
  accepted: () => number;
}

/** A loopback server; `onConnection` decides how it answers. Half-open, like the registry's side. */
async function startUpstream(onConnection: (socket: Socket) => void): Promise<Upstream> {
  let accepted = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted += 1;
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

/** Echoes every byte and ends its side when the client ends its own. */
const echo = (socket: Socket) => socket.pipe(socket);
/** Reads and never answers, but ends its side when the client ends its own. */
const silent = (socket: Socket) => {
  socket.resume();
  socket.on('end', () => socket.end());
};

async function startForwarder(upstreamPort: number, options: Partial<TcpForwarderOptions> = {}): Promise<TcpForwarder> {
  const forwarder = await startTcpForwarder({ listen: { host: loopback, port: 0 }, upstream: { host: loopback, port: upstreamPort }, log, ...options });
  cleanups.push(() => forwarder.close(0));
  return forwarder;
}

/** Connects, sends `payload` (then FIN unless `keepOpen`), and collects everything until the forwarder's FIN or a reset. */
function exchange(port: number, payload: Buffer, options: { keepOpen?: boolean } = {}): Promise<{ received: Buffer; error?: string; ended: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let ended = false;
    const socket = connect({ host: loopback, port, allowHalfOpen: true });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      ended = true;
      socket.end();
    });
    socket.on('error', (cause: NodeJS.ErrnoException) => {
      error = cause.code ?? cause.message;
    });
    socket.on('close', () => resolve({ received: Buffer.concat(chunks), ended, ...(error !== undefined ? { error } : {}) }));
    socket.on('connect', () => {
      if (payload.length > 0) socket.write(payload);
      if (options.keepOpen !== true) socket.end();
    });
  });
}

/** The forwarder's counters once it has seen every connection close (its close events trail the client's). */
const settledStats = (forwarder: TcpForwarder) =>
  eventually(() => forwarder.stats().active === 0 && forwarder.stats(), { what: 'the forwarder to close every connection', timeoutMs: 2_000, intervalMs: 10 });

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe('the node proxy TCP forwarder', () => {
  it('forwards bytes both ways and closes the client cleanly when the upstream ends', async () => {
    const upstream = await startUpstream(echo);
    const forwarder = await startForwarder(upstream.port);
    const { received, ended, error } = await exchange(forwarder.address.port, Buffer.from('GET /v2/ HTTP/1.1\r\n\r\n'));
    expect(received.toString()).toBe('GET /v2/ HTTP/1.1\r\n\r\n');
    expect(ended).toBe(true);
    expect(error).toBeUndefined();
    expect(await settledStats(forwarder)).toMatchObject({ accepted: 1, upstreamFailures: 0, bytesFromClients: 21, bytesToClients: 21 });
  });

  it('carries a 32 MiB payload intact in both directions (backpressure, no loss)', async () => {
    const upstream = await startUpstream(echo);
    const forwarder = await startForwarder(upstream.port);
    const payload = randomBytes(32 * 1024 * 1024);
    const { received, error } = await exchange(forwarder.address.port, payload);
    expect(error).toBeUndefined();
    expect(received.length).toBe(payload.length);
    expect(sha256(received)).toBe(sha256(payload));
  });

  it('keeps half-close: after the client sends FIN it still receives what the upstream sends afterwards', async () => {
    // The upstream answers only once the request is complete (the client's FIN), like an HTTP/1.0 server.
    const upstream = await startUpstream((socket) => {
      const request: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => request.push(chunk));
      socket.on('end', () => socket.end(`got ${Buffer.concat(request).length} bytes after your FIN`));
    });
    const forwarder = await startForwarder(upstream.port);
    const { received, ended, error } = await exchange(forwarder.address.port, Buffer.alloc(1000, 'x'));
    expect(error).toBeUndefined();
    expect(received.toString()).toBe('got 1000 bytes after your FIN');
    expect(ended).toBe(true);
  });

  it('resets the client when the upstream refuses, and counts the failure', async () => {
    // A port that was just free: nothing listens there now.
    const closed = await startUpstream(echo);
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const forwarder = await startForwarder(closed.port);
    const { received, error } = await exchange(forwarder.address.port, Buffer.from('hello'), { keepOpen: true });
    expect(received.length).toBe(0);
    expect(error).toBe('ECONNRESET');
    expect(await settledStats(forwarder)).toMatchObject({ upstreamFailures: 1 });
  });

  it('does not reach the upstream for a connection that closes without sending (a tcpSocket probe)', async () => {
    const upstream = await startUpstream(echo);
    const forwarder = await startForwarder(upstream.port);
    const { received, ended, error } = await exchange(forwarder.address.port, Buffer.alloc(0));
    expect({ received: received.length, ended, error }).toEqual({ received: 0, ended: true, error: undefined });
    expect(await settledStats(forwarder)).toMatchObject({ accepted: 1 });
    expect(upstream.accepted()).toBe(0);
  });

  it('closes a connection that stays idle longer than the idle timeout', async () => {
    const upstream = await startUpstream(silent);
    const forwarder = await startForwarder(upstream.port, { idleTimeoutMs: 200 });
    const started = Date.now();
    const { error } = await exchange(forwarder.address.port, Buffer.from('hello'), { keepOpen: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(error === undefined || error === 'ECONNRESET').toBe(true);
    await settledStats(forwarder);
  });

  it('on close, stops accepting at once, lets open connections finish within the drain time, then cuts the rest', async () => {
    const upstream = await startUpstream(silent);
    const forwarder = await startTcpForwarder({ listen: { host: loopback, port: 0 }, upstream: { host: loopback, port: upstream.port }, log });
    const pending = exchange(forwarder.address.port, Buffer.from('slow request'), { keepOpen: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(forwarder.stats().active).toBe(1);

    const started = Date.now();
    const closing = forwarder.close(300);
    const refused = await exchange(forwarder.address.port, Buffer.from('late'));
    expect(refused.error).toBe('ECONNREFUSED');
    await closing;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await pending;
    await settledStats(forwarder);
  });

  it('fails to start with the address in the message when the port is taken', async () => {
    const holder = await startUpstream(echo);
    await expect(startTcpForwarder({ listen: { host: loopback, port: holder.port }, upstream: { host: loopback, port: 1 }, log })).rejects.toThrow(
      `cannot listen on ${loopback}:${holder.port}`,
    );
  });
});
