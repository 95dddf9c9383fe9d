import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { createAuthServer, type AuthServer, type AuthServerSettings } from '../../../src/auth-server/server.ts';
import { planCredentials, type CredentialPlan } from '../../../src/registry-auth/credential-plan.ts';
import { generateTokenSigningKey, loadTokenSigningKey } from '../../../src/registry-auth/token-signing-key.ts';

/** A stand-in for distribution: each test says how it answers. */
export class FakeUpstream {
  handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.writeHead(200).end('{}');
  readonly server: Server = createServer((request, response) => this.handler(request, response));

  async start(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Everything the server logged, as text, to check what it does and does not say. */
export function capturingLogger(): { log: Logger; output: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), output: () => lines.join('') };
}

export interface Harness {
  server: AuthServer;
  port: number;
  plan: CredentialPlan;
  logs: () => string;
  signingKeyPem: ReturnType<typeof generateTokenSigningKey>;
}

export const service = 'main.team-a.dockyard.dev';

export async function startAuthServer(upstream: URL, overrides: Partial<AuthServerSettings> = {}): Promise<Harness> {
  const now = new Date();
  const plan = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now });
  const signingKeyPem = generateTokenSigningKey(now, service);
  const { log, output } = capturingLogger();
  const server = createAuthServer({
    upstream,
    service,
    issuer: 'dockyard-auth-server',
    tokenLifetimeSeconds: 300,
    anonymousPull: false,
    identities: () => plan.identities,
    signingKey: loadTokenSigningKey(signingKeyPem),
    log,
    ...overrides,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { server, port, plan, logs: output, signingKeyPem };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** One HTTP request with full control over headers (Host included), read to the end. */
export function send(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, setHost: !options.headers?.['host'] },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, rawHeaders: response.rawHeaders, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
