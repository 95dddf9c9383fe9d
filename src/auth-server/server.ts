import { Agent, createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { healthPath, livenessPath, pushRecordsPath, tokenPath, writeGatePath } from '../registry-auth/pod-contract.ts';
import type { IdentitiesDocument } from '../registry-auth/identities.ts';
import type { TokenSigningKey } from '../registry-auth/token-signing-key.ts';
import { proxyToRegistry } from './proxy.ts';
import type { RecordJournal } from './push-records/journal.ts';
import { pushRecordsHooks } from './push-records/door-hooks.ts';
import { refusalExplainer } from './refusal.ts';
import { handleTokenRequest } from './token-endpoint.ts';
import { requestHasBody } from './unread-body.ts';
import type { DoorWriteGate } from './write-gate.ts';

/**
 * The auth container's HTTP(S) server: the token endpoint, its own health check, and the proxy
 * to distribution for everything else. File loading and reloading live in the command
 * (cli/auth-server.ts); this takes the current state through functions, so tests drive it
 * in-process.
 */
export interface AuthServerSettings {
  upstream: URL;
  service: string;
  issuer: string;
  tokenLifetimeSeconds: number;
  anonymousPull: boolean;
  identities: () => IdentitiesDocument;
  signingKey: TokenSigningKey;
  /** PEM certificate and key: serve HTTPS. Replace them later with setTls(). */
  tls?: { certificate: Buffer; key: Buffer };
  log: Logger;
  now?: () => Date;
  /** Record pushes and pulls there, and serve them to the maintainer (push-records/). */
  pushRecords?: RecordJournal;
  /** Refuses pushes and deletes while a gate stands (write-gate.ts); without it, every write passes. */
  writeGate?: DoorWriteGate;
}

export interface AuthServer {
  listen(host: string, port: number): Promise<AddressInfo>;
  setTls(tls: { certificate: Buffer; key: Buffer }): void;
  /** Stops accepting connections and waits for requests in flight (up to graceMs, then cuts them). */
  close(graceMs?: number): Promise<void>;
}

const upstreamHealthTimeoutMs = 2_000;

export function createAuthServer(settings: AuthServerSettings): AuthServer {
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 16 });
  const scheme = settings.tls ? 'https' : 'http';
  const now = settings.now ?? (() => new Date());
  const tokenContext = {
    identities: settings.identities,
    signingKey: settings.signingKey,
    service: settings.service,
    issuer: settings.issuer,
    lifetimeSeconds: settings.tokenLifetimeSeconds,
    anonymousPull: settings.anonymousPull,
    log: settings.log,
    now,
  };
  const records =
    settings.pushRecords === undefined
      ? undefined
      : pushRecordsHooks({
          journal: settings.pushRecords,
          certificate: settings.signingKey.certificate,
          service: settings.service,
          identities: settings.identities,
          scheme,
          now,
          log: settings.log,
        });
  const proxyContext = {
    upstream: settings.upstream,
    agent,
    scheme,
    log: settings.log,
    explainRefusal: refusalExplainer({ certificate: settings.signingKey.certificate, service: settings.service, identities: settings.identities }),
    ...(records !== undefined ? { onAnswer: records.onAnswer } : {}),
  } as const;

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === tokenPath) {
      if (request.method !== 'GET' && request.method !== 'POST') {
        replyHere(request, response, 405, { allow: 'GET, POST' }, '');
        return;
      }
      handleTokenRequest(request, response, tokenContext).catch((error: unknown) => {
        settings.log.error({ err: error instanceof Error ? error.message : String(error) }, 'token request failed');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain', connection: 'close' });
        response.end('internal error\n');
      });
      return;
    }
    if (path === pushRecordsPath && records !== undefined) {
      records.serve(request, response);
      return;
    }
    if (path === livenessPath) {
      replyHere(request, response, 200, { 'content-type': 'text/plain' }, 'ok\n');
      return;
    }
    if (path === healthPath) {
      registryAnswers(settings.upstream, agent).then((healthy) => {
        replyHere(request, response, healthy ? 200 : 503, { 'content-type': 'text/plain' }, healthy ? 'ok\n' : 'registry not answering\n');
      });
      return;
    }
    if (path === writeGatePath && settings.writeGate !== undefined) {
      replyHere(request, response, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' }, JSON.stringify(settings.writeGate.report()));
      return;
    }
    const refusal = settings.writeGate?.refusal(request);
    if (refusal !== undefined) {
      replyHere(request, response, refusal.status, refusal.headers, refusal.body);
      return;
    }
    settings.writeGate?.admitted(request, response);
    proxyToRegistry(request, response, proxyContext);
  };

  const server: Server | HttpsServer = settings.tls
    ? createHttpsServer({ cert: settings.tls.certificate, key: settings.tls.key }, handle)
    : createHttpServer(handle);
  // A client that sends `Expect: 100-continue` is told to go on only by whoever will read the
  // body (the token form, or distribution through the proxy); Node's default says it at once.
  server.on('checkContinue', handle);
  // Node's default cuts any request after 5 minutes, a large layer upload included.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    setTls: (tls) => {
      if (!('setSecureContext' in server)) throw new Error('the server was started without TLS');
      server.setSecureContext({ cert: tls.certificate, key: tls.key });
    },
    close: (graceMs = 10_000) =>
      new Promise((resolve) => {
        const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(deadline);
          agent.destroy();
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** An answer of the server's own, which reads no request body. */
function replyHere(request: IncomingMessage, response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  // Nothing here wants a body: the connection closes after the answer rather than read one.
  const close = requestHasBody(request) && !request.complete;
  response.writeHead(status, close ? { ...headers, connection: 'close' } : headers).end(body);
}

/** distribution is up when /v2/ answers 200 (no auth) or 401 (token auth asks for a token). */
function registryAnswers(upstream: URL, agent: Agent): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = httpRequest(new URL('/v2/', upstream), { agent, timeout: upstreamHealthTimeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 || response.statusCode === 401);
    });
    probe.on('timeout', () => probe.destroy(new Error('timed out')));
    probe.on('error', () => resolve(false));
    probe.end();
  });
}
