import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { authenticate, type IdentitiesDocument } from '../registry-auth/identities.ts';
import { formatScope, grantScopes, parseScopes, type Requester } from '../registry-auth/scope.ts';
import { issueToken } from '../registry-auth/token.ts';
import type { TokenSigningKey } from '../registry-auth/token-signing-key.ts';
import { expectsContinue, requestHasBody } from './unread-body.ts';

/**
 * GET /auth/token, Docker's token protocol: HTTP Basic credentials (or none), `service`, and
 * `scope` parameters. POST /auth/token, the OAuth2 password grant that containerd (kubelet's
 * runtime) tries first whenever it has credentials. Both answer with a token for the requested
 * actions the identity may perform; refusing some actions is not an error, the token simply
 * lacks them and distribution answers 401 insufficient_scope.
 */
export interface TokenEndpointContext {
  identities: () => IdentitiesDocument;
  signingKey: TokenSigningKey;
  service: string;
  issuer: string;
  lifetimeSeconds: number;
  anonymousPull: boolean;
  log: Logger;
  now: () => Date;
}

interface TokenParameters {
  service: string | undefined;
  scopes: string[];
  /** undefined: none presented, or an empty username and password; null: presented but unreadable, which is refused rather than taken as anonymous. */
  credentials: { username: string; password: string } | undefined | null;
  /** The OAuth2 form asks for an OAuth2-shaped reply. */
  oauth: boolean;
}

const maxFormBytes = 16 * 1024;

export async function handleTokenRequest(request: IncomingMessage, response: ServerResponse, context: TokenEndpointContext): Promise<void> {
  const clientAddress = request.socket.remoteAddress;
  let parameters: TokenParameters;
  try {
    parameters = request.method === 'POST' ? await readOAuthForm(request, response) : readQuery(request);
  } catch (error) {
    replyJson(request, response, 400, { error: 'invalid_request', error_description: error instanceof Error ? error.message : 'bad request' });
    return;
  }
  if (parameters.service !== undefined && parameters.service !== context.service) {
    replyJson(request, response, 400, { error: 'invalid_request', error_description: `this token service issues tokens for service ${context.service}` });
    return;
  }

  const now = context.now();
  let requester: Requester;
  if (parameters.credentials === null) {
    context.log.warn({ clientAddress }, 'refused a token request: unreadable Authorization header');
    refuse(request, response);
    return;
  }
  if (parameters.credentials === undefined) {
    if (!context.anonymousPull) {
      context.log.info({ clientAddress }, 'refused an anonymous token request: anonymous pull is off');
      refuse(request, response);
      return;
    }
    requester = { anonymous: true, anonymousPull: true };
  } else {
    const { username, password } = parameters.credentials;
    const identity = authenticate(context.identities(), username, password, now);
    if (identity === undefined) {
      context.log.warn({ username, clientAddress }, 'refused a token request: unknown username or wrong password');
      refuse(request, response);
      return;
    }
    requester = { role: identity.role };
  }

  const requested = parseScopes(parameters.scopes);
  const grants = grantScopes(requester, requested);
  const granted = grants.filter((access) => access.actions.length > 0);
  const refused = requested
    .map((scope, index) => ({ ...scope, actions: scope.actions.filter((action) => !grants[index]!.actions.includes(action)) }))
    .filter((scope) => scope.actions.length > 0);
  const subject = parameters.credentials?.username ?? '';
  const { token, claims } = issueToken(context.signingKey, {
    issuer: context.issuer,
    service: context.service,
    subject,
    access: granted,
    now,
    lifetimeSeconds: context.lifetimeSeconds,
  });
  context.log.info(
    {
      username: subject || undefined,
      role: 'role' in requester ? requester.role : 'anonymous',
      clientAddress,
      granted: granted.map(formatScope),
      refused: refused.map(formatScope),
    },
    'issued a token',
  );
  const issuedAt = new Date(claims.iat * 1000).toISOString();
  replyJson(request, response, 200, {
    token,
    access_token: token,
    expires_in: context.lifetimeSeconds,
    issued_at: issuedAt,
    ...(parameters.oauth ? { scope: granted.map(formatScope).join(' ') } : {}),
  });
}

function readQuery(request: IncomingMessage): TokenParameters {
  const query = new URL(request.url ?? '/', 'http://token.invalid').searchParams;
  return {
    service: query.get('service') ?? undefined,
    scopes: query.getAll('scope'),
    credentials: basicCredentials(request.headers.authorization),
    oauth: false,
  };
}

async function readOAuthForm(request: IncomingMessage, response: ServerResponse): Promise<TokenParameters> {
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/x-www-form-urlencoded')) throw new Error('expected an application/x-www-form-urlencoded body');
  if (Number(request.headers['content-length'] ?? '0') > maxFormBytes) throw new Error('request body too large');
  if (expectsContinue(request)) response.writeContinue();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxFormBytes) throw new Error('request body too large');
    chunks.push(chunk);
  }
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  // Only the password grant: we hand out no refresh tokens. A 400 makes containerd fall back to GET.
  if (form.get('grant_type') !== 'password') throw new Error('unsupported grant_type: only password is supported');
  const username = form.get('username');
  const password = form.get('password');
  return {
    service: form.get('service') ?? undefined,
    scopes: form.getAll('scope'),
    credentials: username && password ? { username, password } : undefined,
    oauth: true,
  };
}

function basicCredentials(header: string | undefined): TokenParameters['credentials'] {
  if (header === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  // `Basic Og==`, an empty username and password, is how clients configured without credentials
  // (the OCI conformance suite among them) say they have none.
  if (decoded === ':') return undefined;
  const separator = decoded.indexOf(':');
  if (separator <= 0) return null;
  return { username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}

function refuse(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('WWW-Authenticate', 'Basic realm="dockyard registry"');
  replyJson(request, response, 401, {
    errors: [{ code: 'UNAUTHORIZED', message: 'authentication required: valid registry credentials are needed', detail: null }],
  });
}

function replyJson(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
  // A body left unread (any on GET, an oversized form) is not read to the end: the connection
  // closes after the answer instead.
  const close = requestHasBody(request) && !request.complete;
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(close ? { connection: 'close' } : {}) });
  response.end(JSON.stringify(body));
}
