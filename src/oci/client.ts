import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AccessScope, Authorizer, type BasicCredentials, maxTokenResponseBytes, type RepositoryAction } from './authorizer.ts';
import { defaultRetryPolicy, networkErrorCode, type RetryEnvironment, type RetryPolicy, withRetries } from './backoff.ts';
import { bearerChallenge } from './challenge.ts';
import { errorForAnswer, InvalidResponseError, NotFoundError, type RegistryError, type RequestSummary, TokenRequestError, UnreachableError } from './errors.ts';
import { nextPage } from './link.ts';
import type { Descriptor, ImageConfig, Manifest, ManifestContent, ManifestHead, Referrers } from './manifest.ts';
import { essenceOf, manifestAccept, mediaTypes } from './media-types.ts';
import { isDigest, isRepositoryName, isTag, referrersTagFor } from './reference.ts';
import { type Answer, BodyTooLargeError, defaultTimeoutMs, headerValue, type RequestKind, Transport, type TransportOptions } from './transport.ts';

export interface RegistryClientOptions extends TransportOptions {
  /** The registry's base URL: `https://registry.example.com` (a path prefix is kept; credentials in it are refused). */
  url: string;
  credentials?: BasicCredentials | undefined;
  /** Actions every repository token asks for up front: `['pull', 'delete']` saves a second token per repository in a retention run. */
  repositoryActions?: readonly RepositoryAction[];
  retry?: Partial<RetryPolicy>;
  /** Manifests and configs larger than this are refused rather than read into memory. */
  maxDocumentBytes?: number;
  /** Sent with every request to the registry (never to a token service), such as a note that reads are an inventory, not pulls. */
  headers?: Record<string, string>;
}

interface Call {
  kind: RequestKind;
  method: 'GET' | 'HEAD' | 'DELETE';
  url: URL;
  scope: AccessScope;
  accept?: string;
  maxBytes?: number;
}

/** The first page size asked for; distribution refuses catalog pages above its `catalog.maxentries` (1,000 by default). */
const defaultPageSize = 1000;
const errorBodyBytes = 64 * 1024;

/**
 * A client of the OCI distribution API (and of distribution 2.8's Docker flavour of it): list
 * repositories and tags page by page, read manifests, configs and referrers, delete. It keeps
 * connections alive, bounds the requests in flight (`maxConcurrency`), retries what may succeed
 * on another try, authenticates as the registry's challenges ask, and fails with typed errors
 * (errors.ts) whose messages say what the user can do. It knows nothing of Kubernetes.
 */
export class RegistryClient {
  /** scheme://host[:port][/prefix], without a trailing slash. */
  readonly baseUrl: string;
  private readonly transport: Transport;
  private readonly authorizer: Authorizer;
  private readonly retry: RetryEnvironment;
  private readonly maxDocumentBytes: number;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Record<string, string>;
  /** Learnt on the first referrers request: distribution 3.0.0 and 2.8 have no referrers API. */
  private referrersApi: boolean | undefined;

  constructor(options: RegistryClientOptions) {
    const base = URL.parse(options.url);
    if (base === null) throw new TypeError(`url: ${JSON.stringify(options.url)} is not a URL such as https://registry.example.com`);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`url: ${base.protocol} is not http: or https:`);
    if (base.username !== '' || base.password !== '') throw new TypeError('url: give credentials as credentials, not in the URL');
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.transport = new Transport(options);
    this.retry = { policy: { ...defaultRetryPolicy, ...options.retry }, sleep: (ms) => sleep(ms), random: Math.random, now: Date.now };
    this.maxDocumentBytes = options.maxDocumentBytes ?? 4 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.extraHeaders = { ...options.headers };
    this.authorizer = new Authorizer({
      credentials: options.credentials,
      ...(options.repositoryActions ? { repositoryActions: options.repositoryActions } : {}),
      fetchToken: async (url, authorization) =>
        (await withRetries(() => this.transport.send('token', 'GET', url, authorization ? { authorization } : {}, maxTokenResponseBytes), this.retry)).answer,
    });
  }

  /** GET /v2/: resolves when the registry answers 200 with the credentials given. */
  async ping(): Promise<void> {
    await this.expect({ kind: 'ping', method: 'GET', url: this.url('/v2/'), scope: undefined, maxBytes: errorBodyBytes }, [200]);
  }

  /** Every repository, one page at a time, following the registry's `Link` headers. */
  async *repositories(options: { pageSize?: number } = {}): AsyncGenerator<string[]> {
    let url: URL | undefined = this.url('/v2/_catalog');
    url.searchParams.set('n', String(options.pageSize ?? defaultPageSize));
    while (url !== undefined) {
      const call: Call = { kind: 'catalog', method: 'GET', url, scope: { catalog: true } };
      const { answer, attempts } = await this.send(call);
      // A registry configured for smaller pages refuses `n`; its own page size will do.
      if (answer.status === 400 && url.searchParams.has('n') && !url.searchParams.has('last')) {
        url.searchParams.delete('n');
        continue;
      }
      if (answer.status !== 200) throw this.failure(call, answer, attempts);
      yield this.json<{ repositories?: string[] | null }>(call, answer).repositories ?? [];
      url = this.next(call, answer);
    }
  }

  /** A repository's tags, one page at a time. distribution 2.8 ignores `n` and sends them all at once. */
  async *tags(repository: string, options: { pageSize?: number } = {}): AsyncGenerator<string[]> {
    let url: URL | undefined = this.url(`/v2/${checkedRepository(repository)}/tags/list`);
    url.searchParams.set('n', String(options.pageSize ?? defaultPageSize));
    while (url !== undefined) {
      const call: Call = { kind: 'tags', method: 'GET', url, scope: { repository, actions: ['pull'] } };
      const answer = await this.expect(call, [200]);
      yield this.json<{ tags?: string[] | null }>(call, answer).tags ?? [];
      url = this.next(call, answer);
    }
  }

  /**
   * A registry-wide listing beyond the distribution API that pages as the catalog does (`n`,
   * `Link: <...>; rel="next"`) and needs what the catalog needs (`registry:catalog:*`), such as
   * the push records of a registry Dockyard runs. Each page's JSON, unchecked: the caller knows
   * its shape. A registry without it answers 404 (NotFoundError).
   */
  async *listing(path: string, query: Record<string, string> = {}): AsyncGenerator<unknown> {
    let url: URL | undefined = this.url(path);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    while (url !== undefined) {
      const call: Call = { kind: 'listing', method: 'GET', url, scope: { catalog: true } };
      const answer = await this.expect(call, [200]);
      yield this.json<unknown>(call, answer);
      url = this.next(call, answer);
    }
  }

  /** Every tag of a repository, every page read. */
  async allTags(repository: string, options: { pageSize?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    for await (const page of this.tags(repository, options)) tags.push(...page);
    return tags;
  }

  /** What a tag or digest points at, without the manifest's body. */
  async headManifest(repository: string, reference: string): Promise<ManifestHead> {
    const call = this.manifestCall('manifest-head', 'HEAD', repository, reference);
    const answer = await this.expect(call, [200]);
    const digest = headerValue(answer.headers, 'docker-content-digest') ?? (isDigest(reference) ? reference : undefined);
    if (digest === undefined) {
      // Not every registry sends the header on a HEAD; the body's hash is the digest.
      const manifest = await this.getManifest(repository, reference);
      return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.size };
    }
    const length = Number(headerValue(answer.headers, 'content-length'));
    return { digest, mediaType: essenceOf(headerValue(answer.headers, 'content-type')), size: Number.isFinite(length) ? length : undefined };
  }

  /** A manifest or index with its exact bytes; its digest is checked against what was asked for and what the registry said. */
  async getManifest(repository: string, reference: string): Promise<Manifest> {
    const call = this.manifestCall('manifest-get', 'GET', repository, reference);
    const answer = await this.expect(call, [200]);
    const claimed = isDigest(reference) ? reference : headerValue(answer.headers, 'docker-content-digest');
    const algorithm = claimed?.startsWith('sha512:') ? 'sha512' : 'sha256';
    const digest = `${algorithm}:${createHash(algorithm).update(answer.body).digest('hex')}`;
    if (claimed !== undefined && claimed !== digest) {
      throw new InvalidResponseError(summaryOf(call), answer.status, [], `the manifest's bytes hash to ${digest}, not ${claimed}`);
    }
    const content = this.json<ManifestContent>(call, answer);
    const contentType = essenceOf(headerValue(answer.headers, 'content-type'));
    const mediaType = content.mediaType ?? (contentType === 'application/json' ? undefined : contentType);
    return { digest, mediaType, size: answer.body.length, bytes: answer.body, content };
  }

  /** Whether a repository serves a blob, and its size when it does (garbage collection verifies what it kept). */
  async headBlob(repository: string, digest: string): Promise<{ size: number | undefined } | 'absent'> {
    if (!isDigest(digest)) throw new TypeError(`digest: ${JSON.stringify(digest)} is not a digest such as sha256:<64 hex digits>`);
    const call: Call = {
      kind: 'blob-head',
      method: 'HEAD',
      url: this.url(`/v2/${checkedRepository(repository)}/blobs/${digest}`),
      scope: { repository, actions: ['pull'] },
    };
    const answer = await this.expect(call, [200, 404]);
    if (answer.status === 404) return 'absent';
    const length = Number(headerValue(answer.headers, 'content-length'));
    return { size: Number.isFinite(length) ? length : undefined };
  }

  /** An image's config blob (where `created` lives), checked against its digest. */
  async getConfig(repository: string, digest: string): Promise<ImageConfig> {
    if (!isDigest(digest)) throw new TypeError(`digest: ${JSON.stringify(digest)} is not a digest such as sha256:<64 hex digits>`);
    const call: Call = {
      kind: 'blob-get',
      method: 'GET',
      url: this.url(`/v2/${checkedRepository(repository)}/blobs/${digest}`),
      scope: { repository, actions: ['pull'] },
    };
    const answer = await this.expect(call, [200]);
    const [algorithm] = digest.split(':');
    if (algorithm === 'sha256' || algorithm === 'sha512') {
      const actual = `${algorithm}:${createHash(algorithm).update(answer.body).digest('hex')}`;
      if (actual !== digest) throw new InvalidResponseError(summaryOf(call), answer.status, [], `the blob's bytes hash to ${actual}`);
    }
    return this.json<ImageConfig>(call, answer);
  }

  /**
   * The manifests that refer to `digest` (signatures, SBOMs, attestations): from the referrers
   * API, or, where the registry has none (distribution 3.0.0 and 2.8 answer 404), from the
   * index under the tag schema's `sha256-<hex>` tag. `tags`, when the caller has listed the
   * repository already, spares a GET for each subject without such a tag.
   */
  async referrers(repository: string, digest: string, options: { artifactType?: string; tags?: ReadonlySet<string> } = {}): Promise<Referrers> {
    if (!isDigest(digest)) throw new TypeError(`digest: ${JSON.stringify(digest)} is not a digest such as sha256:<64 hex digits>`);
    const wanted = (descriptor: Descriptor) => options.artifactType === undefined || descriptor.artifactType === options.artifactType;
    if (this.referrersApi !== false) {
      const url = this.url(`/v2/${checkedRepository(repository)}/referrers/${digest}`);
      if (options.artifactType !== undefined) url.searchParams.set('artifactType', options.artifactType);
      const call: Call = { kind: 'referrers', method: 'GET', url, scope: { repository, actions: ['pull'] }, accept: mediaTypes.ociIndex };
      const { answer, attempts } = await this.send(call);
      if (answer.status === 200) {
        this.referrersApi = true;
        // A registry that did not apply the filter says so by leaving it out of OCI-Filters-Applied.
        return { referrers: (this.json<ManifestContent>(call, answer).manifests ?? []).filter(wanted), source: 'referrers-api' };
      }
      if (answer.status !== 404) throw this.failure(call, answer, attempts);
      this.referrersApi = false;
    }
    const tag = referrersTagFor(digest);
    if (options.tags !== undefined && !options.tags.has(tag)) return { referrers: [], source: 'tag-schema' };
    try {
      const index = await this.getManifest(repository, tag);
      return { referrers: (index.content.manifests ?? []).filter(wanted), source: 'tag-schema' };
    } catch (error) {
      if (error instanceof NotFoundError) return { referrers: [], source: 'tag-schema' };
      throw error;
    }
  }

  /**
   * Deletes a manifest by digest, which removes every tag on it. `absent` when the registry no
   * longer has it (a retried DELETE whose first try got through ends so too).
   */
  async deleteManifest(repository: string, digest: string): Promise<'deleted' | 'absent'> {
    if (!isDigest(digest)) throw new TypeError(`digest: ${JSON.stringify(digest)} is not a digest such as sha256:<64 hex digits>`);
    return this.delete(repository, digest, false);
  }

  /**
   * Removes one tag and leaves its manifest to garbage collection (distribution 3.x). distribution
   * 2.x refuses this with DeleteByTagUnsupportedError: delete by digest there.
   */
  async deleteTag(repository: string, tag: string): Promise<'deleted' | 'absent'> {
    if (!isTag(tag)) throw new TypeError(`tag: ${JSON.stringify(tag)} is not a tag`);
    return this.delete(repository, tag, true);
  }

  /** Requests sent so far, by kind: every try, every token request. */
  requestCounts(): Record<RequestKind, number> {
    return this.transport.requestCounts();
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private async delete(repository: string, reference: string, byTag: boolean): Promise<'deleted' | 'absent'> {
    const call = this.manifestCall('manifest-delete', 'DELETE', repository, reference);
    const { answer, attempts } = await this.send(call);
    if (answer.status === 202 || answer.status === 200 || answer.status === 204) return 'deleted';
    if (answer.status === 404) return 'absent';
    throw this.failure(call, answer, attempts, byTag);
  }

  private url(path: string): URL {
    return new URL(`${this.baseUrl}${path}`);
  }

  /** A request for /v2/<repository>/manifests/<reference>: reads send the full Accept list, deletes need the delete action. */
  private manifestCall(kind: RequestKind, method: Call['method'], repository: string, reference: string): Call {
    if (!isTag(reference) && !isDigest(reference)) throw new TypeError(`reference: ${JSON.stringify(reference)} is neither a tag nor a digest`);
    const url = this.url(`/v2/${checkedRepository(repository)}/manifests/${reference}`);
    if (method === 'DELETE') return { kind, method, url, scope: { repository, actions: ['delete'] } };
    return { kind, method, url, scope: { repository, actions: ['pull'] }, accept: manifestAccept };
  }

  private async expect(call: Call, statuses: readonly number[]): Promise<Answer> {
    const { answer, attempts } = await this.send(call);
    if (!statuses.includes(answer.status)) throw this.failure(call, answer, attempts);
    return answer;
  }

  /** One logical request: retried as the policy allows, authenticated again once if a 401 teaches something new. */
  private async send(call: Call): Promise<{ answer: Answer; attempts: number }> {
    const maxBytes = call.maxBytes ?? this.maxDocumentBytes;
    let reauthenticated = false;
    const tryOnce = async (): Promise<Answer> => {
      const authorization = await this.authorizer.authorization(call.scope);
      const answer = await this.transport.send(call.kind, call.method, call.url, { ...this.extraHeaders, ...headersFor(call, authorization) }, maxBytes);
      if (answer.status !== 401 || reauthenticated) return answer;
      if (!this.authorizer.challenged(answer.headers['www-authenticate'], call.scope, authorization)) return answer;
      reauthenticated = true;
      return this.transport.send(
        call.kind,
        call.method,
        call.url,
        { ...this.extraHeaders, ...headersFor(call, await this.authorizer.authorization(call.scope)) },
        maxBytes,
      );
    };
    try {
      return await withRetries(tryOnce, this.retry);
    } catch (error) {
      if (error instanceof TokenRequestError) throw error;
      const summary = summaryOf(call);
      if (error instanceof BodyTooLargeError) throw new InvalidResponseError(summary, undefined, [], `the answer is larger than ${error.limit} bytes`);
      throw new UnreachableError(summary, this.baseUrl, describeNetworkError(error, this.timeoutMs), { cause: error });
    }
  }

  private failure(call: Call, answer: Answer, attempts: number, deleteByTag = false): RegistryError {
    return errorForAnswer({
      request: summaryOf(call),
      status: answer.status,
      body: answer.body.subarray(0, errorBodyBytes),
      hadCredentials: this.authorizer.hasCredentials,
      insufficientScope: answer.status === 401 && bearerChallenge(answer.headers['www-authenticate'])?.error === 'insufficient_scope',
      deleteByTag,
      attempts,
    });
  }

  private json<T>(call: Call, answer: Answer): T {
    try {
      return JSON.parse(answer.body.toString('utf8')) as T;
    } catch {
      throw new InvalidResponseError(summaryOf(call), answer.status, [], 'the answer is not JSON');
    }
  }

  /** The next page, which must stay on this registry: a page never takes the credentials elsewhere. */
  private next(call: Call, answer: Answer): URL | undefined {
    const next = nextPage(answer.headers['link'], call.url);
    if (next !== undefined && next.origin !== call.url.origin) {
      throw new InvalidResponseError(summaryOf(call), answer.status, [], `the next page is on another host (${next.origin})`);
    }
    return next;
  }
}

function headersFor(call: Call, authorization: string | undefined): Record<string, string> {
  return { ...(call.accept ? { accept: call.accept } : {}), ...(authorization ? { authorization } : {}) };
}

function summaryOf(call: Call): RequestSummary {
  return { method: call.method, path: `${call.url.pathname}${call.url.search}` };
}

function checkedRepository(repository: string): string {
  if (!isRepositoryName(repository)) throw new TypeError(`repository: ${JSON.stringify(repository)} is not a repository name such as apps/web`);
  return repository;
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const code = networkErrorCode(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `no answer within ${timeoutMs} ms`;
  return error instanceof Error ? error.message : String(error);
}
