import { request as httpRequest, type Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Logger } from 'pino';
import { replaceBearerRealm } from '../oci/challenge.ts';
import { tokenPath } from '../registry-auth/pod-contract.ts';
import { type RefusalExplainer, rewriteErrorMessage } from './refusal.ts';
import { discardUnreadBody, expectsContinue, requestHasBody, type UnreadBody } from './unread-body.ts';

/**
 * The reverse proxy in front of distribution. Bodies stream both ways (layers are gigabytes;
 * nothing is buffered), the client's Host goes through unchanged so that the upload URLs
 * distribution builds point where the client came from, and the token realm of every challenge
 * is rewritten to this token service as the client addressed it.
 */
export interface ProxyContext {
  upstream: URL;
  agent: Agent;
  /** The scheme this server speaks to its clients. */
  scheme: 'http' | 'https';
  log: Logger;
  /** Words for distribution's refusals of a token that lacks an action (its own say "authentication required"). */
  explainRefusal?: RefusalExplainer;
  /** Told of every answer distribution gave, before it is relayed (the push records' hook). */
  onAnswer?: (request: IncomingMessage, status: number, headers: IncomingHttpHeaders) => void;
}

/** How long distribution may take to answer `Expect: 100-continue` before the body is sent anyway. */
const continueTimeoutMs = 300;

// distribution's error bodies are a few hundred bytes; anything larger passes through untouched.
const maxExplainedBodyBytes = 64 * 1024;

// RFC 9110 7.6.1: connection-specific headers end at each hop.
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function proxyToRegistry(request: IncomingMessage, response: ServerResponse, context: ProxyContext): void {
  const scheme = clientScheme(request, context.scheme);
  const headers = forwardedRequestHeaders(request, scheme);
  const hasBody = requestHasBody(request);
  // distribution answers some requests with a body (an upload without a valid token) before
  // reading it, and then closes the connection. Sending the body only once it asks for it means
  // no byte is written into that closing connection, where the write error could overtake the
  // answer; the extra round trip stays on the Pod's loopback. Go's server answers such a request
  // at once only when the connection is not to be reused; on a kept-alive one it first reads up
  // to 256 KiB of the body it refused, without saying 100 Continue (3.0.0, whose tracing wrapper
  // hides the body's type from that check). Hence a connection of its own for each upload, and,
  // should a build still wait, the body goes anyway after a moment, as curl does.
  if (hasBody) {
    headers['expect'] = '100-continue';
    headers['connection'] = 'close';
  }
  const upstreamRequest = httpRequest({
    protocol: context.upstream.protocol,
    hostname: context.upstream.hostname,
    port: context.upstream.port,
    method: request.method,
    path: request.url,
    headers,
    agent: context.agent,
  });
  let continued = false;
  let answered = false;

  if (hasBody) {
    const sendBody = () => {
      clearTimeout(impatience);
      if (answered || continued) return;
      continued = true;
      if (expectsContinue(request)) response.writeContinue();
      request.pipe(upstreamRequest);
    };
    const impatience = setTimeout(() => {
      context.log.debug({ method: request.method }, 'distribution neither answered nor said 100 Continue in time; sending the body anyway');
      sendBody();
    }, continueTimeoutMs);
    upstreamRequest.once('continue', sendBody);
    upstreamRequest.once('response', () => clearTimeout(impatience));
    upstreamRequest.once('close', () => clearTimeout(impatience));
  } else {
    upstreamRequest.end();
  }

  upstreamRequest.on('response', (upstreamResponse) => {
    answered = true;
    // Answered before the body was all sent: what distribution did not read stays unsent, and
    // the client's rest is discarded before the answer ends, so that the client reads it.
    request.unpipe(upstreamRequest);
    const unread = discardUnreadBody(request, response, continued || !expectsContinue(request));
    const headers = responseHeaders(upstreamResponse.rawHeaders, tokenRealm(request, scheme));
    const status = upstreamResponse.statusCode ?? 502;
    context.onAnswer?.(request, status, upstreamResponse.headers);
    const explanation = status === 401 || status === 403 ? explainRefusal(request, headers, context) : undefined;
    if (explanation !== undefined) {
      relayExplained(upstreamResponse, response, { status, headers, explanation, unread, log: context.log });
      return;
    }
    response.writeHead(status, upstreamResponse.statusMessage, unread.closeConnection ? [...headers, 'Connection', 'close'] : headers);
    if (!hasBody) {
      // Pulls, the hot path: with no body of the client's to wait for, a plain pipe. The
      // pipeline below, with its async generator per chunk and its AbortController per answer,
      // cost 1.65x distribution's p50 for manifest GETs against 1.23x for a bare proxy (measured).
      // A cut upstream answer must still cut the client's, which pipe alone would leave hanging.
      upstreamResponse.once('error', (error) => {
        context.log.debug({ err: error.message, method: request.method }, 'proxied response ended early');
        response.destroy();
      });
      upstreamResponse.pipe(response);
      return;
    }
    pipeline(upstreamResponse, endingWhen(unread.settled), response, (error) => {
      if (error) context.log.debug({ err: error.message, method: request.method }, 'proxied response ended early');
    });
  });
  upstreamRequest.on('error', (error) => {
    // After the answer, an error is distribution closing a connection whose body it did not
    // want; the answer's own stream reports a cut answer.
    if (answered) {
      context.log.debug({ err: error.message, method: request.method }, 'registry closed the connection after answering');
      return;
    }
    context.log.warn({ err: error.message, method: request.method }, 'registry unreachable');
    request.unpipe(upstreamRequest);
    const unread = discardUnreadBody(request, response, continued || !expectsContinue(request));
    response.writeHead(502, { 'content-type': 'application/json', ...(unread.closeConnection ? { connection: 'close' } : {}) });
    response.write(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'registry unavailable', detail: null }] }));
    void unread.settled.then(() => response.end());
  });
  // A client that goes away mid-transfer must not leave the upstream request running, nor may a
  // request whose body was not all sent go back to the agent's pool.
  response.on('close', () => {
    if (!response.writableFinished || !upstreamRequest.writableFinished) upstreamRequest.destroy();
  });
  request.on('error', () => upstreamRequest.destroy());
}

/** What the explainer makes of the response's challenges, if anything. */
function explainRefusal(request: IncomingMessage, headers: readonly string[], context: ProxyContext): string | undefined {
  if (context.explainRefusal === undefined) return undefined;
  for (let index = 0; index + 1 < headers.length; index += 2) {
    if (headers[index]!.toLowerCase() !== 'www-authenticate') continue;
    const explanation = context.explainRefusal(request.headers.authorization, headers[index + 1]!);
    if (explanation !== undefined) return explanation;
  }
  return undefined;
}

/** Reads distribution's (small) error body, puts the explanation in as its message, and sends it on. */
function relayExplained(
  upstreamResponse: IncomingMessage,
  response: ServerResponse,
  answer: { status: number; headers: string[]; explanation: string; unread: UnreadBody; log: Logger },
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  upstreamResponse.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= maxExplainedBodyBytes) chunks.push(chunk);
  });
  upstreamResponse.on('error', () => response.destroy());
  upstreamResponse.on('end', () => {
    const original = Buffer.concat(chunks).toString('utf8');
    const body = (size <= maxExplainedBodyBytes ? rewriteErrorMessage(original, answer.explanation) : undefined) ?? original;
    const headers: string[] = [];
    for (let index = 0; index + 1 < answer.headers.length; index += 2) {
      if (answer.headers[index]!.toLowerCase() !== 'content-length') headers.push(answer.headers[index]!, answer.headers[index + 1]!);
    }
    headers.push('Content-Length', String(Buffer.byteLength(body)));
    if (answer.unread.closeConnection) headers.push('Connection', 'close');
    answer.log.info({ status: answer.status, explanation: answer.explanation }, 'explained a refusal of a token that lacks an action');
    response.writeHead(answer.status, headers);
    response.write(body);
    void answer.unread.settled.then(() => response.end());
  });
}

/** A pass-through whose end waits for `settled`: the answer is all written, but not ended before the body it did not read is in. */
function endingWhen(settled: Promise<void>) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    yield* source;
    await settled;
  };
}

/** The realm for this client: `<scheme>://<Host it used>/auth/token`, or undefined when its Host is not a plain host[:port]. */
export function tokenRealm(request: IncomingMessage, scheme: string): string | undefined {
  const host = request.headers.host;
  if (host === undefined || !/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) return undefined;
  return `${scheme}://${host}${tokenPath}`;
}

/** What the client spoke: a TLS-terminating ingress says so in X-Forwarded-Proto. */
export function clientScheme(request: IncomingMessage, ownScheme: 'http' | 'https'): string {
  const forwarded = firstValue(request.headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase();
  return forwarded === 'http' || forwarded === 'https' ? forwarded : ownScheme;
}

function forwardedRequestHeaders(request: IncomingMessage, scheme: string): IncomingHttpHeaders {
  const connectionTokens = connectionHeaderTokens(request.headers.connection);
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    // Expect is this hop's business: set for upstream by proxyToRegistry.
    if (value === undefined || hopByHop.has(name) || connectionTokens.has(name) || name === 'expect') continue;
    headers[name] = value;
  }
  // The door is the Pod's only entry and knows its peer; a client-sent X-Forwarded-For would
  // reach distribution's logs as the client's address, so it is replaced, never extended.
  delete headers['x-forwarded-for'];
  const client = request.socket.remoteAddress;
  if (client !== undefined) headers['x-forwarded-for'] = client;
  headers['x-forwarded-proto'] = scheme;
  return headers;
}

/** Raw header pairs, flattened as writeHead takes them, minus hop-by-hop ones, with realms rewritten. */
function responseHeaders(rawHeaders: readonly string[], realm: string | undefined): string[] {
  const pairs: [string, string][] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) pairs.push([rawHeaders[index]!, rawHeaders[index + 1]!]);
  const connectionTokens = connectionHeaderTokens(
    pairs
      .filter(([name]) => name.toLowerCase() === 'connection')
      .map(([, value]) => value)
      .join(','),
  );
  return pairs.flatMap(([name, value]) => {
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || connectionTokens.has(lower)) return [];
    if (lower === 'www-authenticate' && realm !== undefined) return [name, replaceBearerRealm(value, realm)];
    return [name, value];
  });
}

function connectionHeaderTokens(value: string | undefined): Set<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
