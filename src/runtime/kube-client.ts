import { HttpMethod, IsomorphicFetchHttpLibrary, PatchStrategy, RequestContext, type KubeConfig, type ResponseContext } from '@kubernetes/client-node';
import { version } from '../version.ts';
import { KubeApiError, type ApiStatus } from './errors.ts';
import { resourcePath, type KubeObject, type ObjectKey, type ResourceType } from './resource.ts';

/**
 * A small REST client over any kind, on client-node's own authentication and transport (so
 * kubeconfig, exec plugins, in-cluster tokens and proxies behave exactly as in client-node).
 *
 * Why not client-node's typed APIs or KubernetesObjectApi: the runtime is generic over kinds
 * (CustomObjectsApi cannot address the core group), KubernetesObjectApi.patch has no
 * `fieldValidation` and serialises bodies through the typed model, which silently drops unknown
 * fields of built-in kinds and so defeats strict validation; and the runtime needs watch streams
 * it can abort and time itself (client-node's Watch applies a fixed inactivity timeout).
 */
export class KubeClient {
  private readonly kubeConfig: KubeConfig;
  private readonly server: string;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly requestTimeoutMs: number;
  /**
   * client-node builds a new undici Agent on every request, so nothing reuses a connection; the
   * first one is kept and reused, while credentials (headers) are still applied per request so
   * rotating tokens keep working.
   */
  private dispatcher: ReturnType<RequestContext['getDispatcher']>;

  constructor(kubeConfig: KubeConfig, options: { requestTimeoutMs?: number } = {}) {
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig has no current cluster');
    this.kubeConfig = kubeConfig;
    this.server = server.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** One request with a JSON answer; non-2xx answers throw KubeApiError. */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? this.requestTimeoutMs), ...(options.signal ? [options.signal] : [])]);
    const response = await this.send(method, path, { ...options, signal });
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new KubeApiError(method, path, response.httpStatusCode, parseStatus(text));
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * One request with a text answer (a Pod's log, which the apiserver serves as text/plain); non-2xx
   * answers throw KubeApiError. `limitBytes` belongs in the query: an answer is read whole.
   */
  async requestText(path: string, options: Omit<RequestOptions, 'body' | 'contentType'> = {}): Promise<string> {
    const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? this.requestTimeoutMs), ...(options.signal ? [options.signal] : [])]);
    // The apiserver refuses `Accept: text/plain` (406) yet answers a log as text: ask for anything.
    const response = await this.send(HttpMethod.GET, path, { ...options, signal, accept: '*/*' });
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new KubeApiError(HttpMethod.GET, path, response.httpStatusCode, parseStatus(text));
    }
    return text;
  }

  /** The log of one container of a Pod, at most `limitBytes` of it (from the start). */
  podLog(key: { namespace: string; name: string }, options: { container?: string; limitBytes?: number; signal?: AbortSignal } = {}): Promise<string> {
    const path = `${resourcePath(podResource, key)}/log`;
    return this.requestText(path, { query: { container: options.container, limitBytes: options.limitBytes }, signal: options.signal });
  }

  get<T extends KubeObject>(resource: ResourceType, key: ObjectKey, signal?: AbortSignal): Promise<T> {
    return this.request<T>(HttpMethod.GET, resourcePath(resource, key), { signal });
  }

  list<T extends KubeObject>(resource: ResourceType, options: ListOptions = {}): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>(HttpMethod.GET, resourcePath(resource, { namespace: options.namespace }), {
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continueToken,
      },
      signal: options.signal,
    });
  }

  create<T extends KubeObject>(resource: ResourceType, body: T, options: WriteOptions = {}): Promise<T> {
    return this.request<T>(HttpMethod.POST, resourcePath(resource, { namespace: body.metadata?.namespace }), {
      query: { fieldManager: options.fieldManager, fieldValidation: options.fieldValidation },
      body,
      signal: options.signal,
    });
  }

  /** PUT: optimistic concurrency through the body's metadata.resourceVersion. */
  replace<T extends KubeObject>(resource: ResourceType, body: T, options: WriteOptions & { subresource?: string } = {}): Promise<T> {
    const key = { namespace: body.metadata?.namespace, name: body.metadata?.name ?? '' };
    return this.request<T>(HttpMethod.PUT, resourcePath(resource, key, options.subresource), {
      query: { fieldManager: options.fieldManager, fieldValidation: options.fieldValidation },
      body,
      signal: options.signal,
    });
  }

  patch<T extends KubeObject>(resource: ResourceType, key: ObjectKey, type: PatchType, patch: unknown, options: PatchOptions = {}): Promise<T> {
    return this.request<T>(HttpMethod.PATCH, resourcePath(resource, key, options.subresource), {
      query: { fieldManager: options.fieldManager, force: options.force, fieldValidation: options.fieldValidation },
      body: patch,
      contentType: patchContentTypes[type],
      signal: options.signal,
    });
  }

  delete(
    resource: ResourceType,
    key: ObjectKey,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    return this.request(HttpMethod.DELETE, resourcePath(resource, key), {
      body: options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : undefined,
      signal: options.signal,
    });
  }

  /**
   * Opens a watch and yields its events until the server ends the stream or `signal` aborts.
   * An ERROR event (for example 410 Gone) is thrown as a KubeApiError.
   */
  async *watch<T extends KubeObject>(resource: ResourceType, options: WatchOptions, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const path = resourcePath(resource, { namespace: options.namespace });
    const response = await this.send(HttpMethod.GET, path, {
      query: {
        watch: true,
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: options.timeoutSeconds,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      },
      signal,
    });
    const stream = response.body.stream();
    if (response.httpStatusCode !== 200 || stream === null) {
      throw new KubeApiError('WATCH', path, response.httpStatusCode, parseStatus(await response.body.text()));
    }
    for await (const line of jsonLines(stream)) {
      const event = JSON.parse(line) as { type: string; object: unknown };
      if (event.type === 'ERROR') {
        const status = event.object as ApiStatus;
        throw new KubeApiError('WATCH', path, status.code ?? 500, status);
      }
      yield event as WatchEvent<T>;
    }
  }

  private async send(method: HttpMethod, path: string, options: RequestOptions & { signal: AbortSignal; accept?: string }): Promise<ResponseContext> {
    const url = new URL(this.server + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const context = new RequestContext(url.toString(), method);
    await this.kubeConfig.applySecurityAuthentication(context);
    this.dispatcher ??= context.getDispatcher();
    if (this.dispatcher) context.setDispatcher(this.dispatcher);
    context.setHeaderParam('Accept', options.accept ?? 'application/json');
    context.setHeaderParam('User-Agent', `dockyard/${version}`);
    if (options.body !== undefined) {
      context.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
      context.setBody(JSON.stringify(options.body));
    }
    context.setSignal(options.signal);
    return this.http.send(context).toPromise();
  }
}

const podResource: ResourceType = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };

export type PatchType = 'json' | 'merge' | 'apply';

const patchContentTypes: Record<PatchType, string> = {
  json: PatchStrategy.JsonPatch,
  merge: PatchStrategy.MergePatch,
  apply: PatchStrategy.ServerSideApply,
};

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
  signal?: AbortSignal;
}

export interface WriteOptions {
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  subresource?: string;
  force?: boolean;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
}

export interface ObjectList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

function parseStatus(text: string): ApiStatus | undefined {
  try {
    const parsed = JSON.parse(text) as ApiStatus;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return text ? { message: text.slice(0, 500) } : undefined;
  }
}

async function* jsonLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield line;
    }
  }
  const last = (pending + decoder.decode()).trim();
  if (last) yield last;
}
