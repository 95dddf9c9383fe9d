import { Agent, interceptors, request, type Dispatcher } from 'undici';

/** What a request is for: the benchmark counts each kind, and a token request is not a manifest HEAD. */
export type RequestKind =
  | 'ping'
  | 'token'
  | 'catalog'
  | 'tags'
  | 'manifest-head'
  | 'manifest-get'
  | 'blob-head'
  | 'blob-get'
  | 'referrers'
  | 'manifest-delete'
  | 'listing';

export interface TransportOptions {
  /** PEM certificates to trust instead of Node's bundled roots (a registry with a private CA). */
  ca?: string | readonly string[];
  /**
   * Requests in flight per origin at most; more wait in line. This is the client's concurrency
   * bound: callers may start as many requests as they like.
   */
  maxConcurrency?: number;
  /** Connecting, waiting for headers, and each pause in a body may take this long. */
  timeoutMs?: number;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export const defaultTimeoutMs = 30_000;

/** A body larger than a request's limit. */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`the body is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * HTTP for the client: one undici Agent (keep-alive connections per origin, at most
 * `maxConcurrency` each), redirects followed (blobs may live behind them; undici drops the
 * Authorization header when a redirect leaves the origin), bodies read up to a limit, and every
 * request counted by kind. One request per call: retries and authentication are the caller's.
 */
export class Transport {
  private readonly dispatcher: Dispatcher;
  private readonly agent: Agent;
  private readonly counts = new Map<RequestKind, number>();

  constructor(options: TransportOptions = {}) {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const ca = options.ca === undefined ? undefined : typeof options.ca === 'string' ? options.ca : [...options.ca];
    this.agent = new Agent({
      connections: options.maxConcurrency ?? 8,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { timeout: timeoutMs, ...(ca !== undefined ? { ca } : {}) },
    });
    this.dispatcher = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));
  }

  /** Sends one request and reads at most `maxBodyBytes` of the answer (HEAD answers have none). */
  async send(kind: RequestKind, method: 'GET' | 'HEAD' | 'DELETE', url: URL, headers: Record<string, string>, maxBodyBytes: number): Promise<Answer> {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const response = await request(url, { dispatcher: this.dispatcher, method, headers });
    if (method === 'HEAD') {
      await response.body.dump();
      return { status: response.statusCode, headers: response.headers, body: Buffer.alloc(0) };
    }
    const body = await readLimited(response.body, maxBodyBytes);
    return { status: response.statusCode, headers: response.headers, body };
  }

  /** Requests sent so far, by kind (each try and each token request counts). */
  requestCounts(): Record<RequestKind, number> {
    const kinds: RequestKind[] = [
      'ping',
      'token',
      'catalog',
      'tags',
      'manifest-head',
      'manifest-get',
      'blob-head',
      'blob-get',
      'referrers',
      'manifest-delete',
      'listing',
    ];
    return Object.fromEntries(kinds.map((kind) => [kind, this.counts.get(kind) ?? 0])) as Record<RequestKind, number>;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

async function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A header's first value, lowercase-named as undici gives them. */
export function headerValue(headers: Answer['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
