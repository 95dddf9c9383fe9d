import { bearerChallenge, parseChallenges, tokenUrl } from './challenge.ts';
import { registryErrorEntries, TokenRequestError } from './errors.ts';
import type { Answer } from './transport.ts';

export interface BasicCredentials {
  username: string;
  password: string;
}

export type RepositoryAction = 'pull' | 'push' | 'delete';

/** What a request touches, which is what a Bearer token must grant. */
export type AccessScope = { repository: string; actions: readonly RepositoryAction[] } | { catalog: true } | undefined;

type Scheme = { kind: 'unknown' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

interface Token {
  value: string;
  expiresAt: number;
  /** The repository actions it was asked for (the service may have granted fewer). */
  actions: ReadonlySet<RepositoryAction>;
}

const actionOrder: readonly RepositoryAction[] = ['pull', 'push', 'delete'];
/** Token services may omit expires_in; the Docker token spec says it then lasts 60 s. */
const defaultTokenLifetimeSeconds = 60;
/** Token replies are a few kilobytes; more is not a token service. */
export const maxTokenResponseBytes = 1024 * 1024;

/**
 * Authentication as docker and containerd do it, learnt from the registry's challenges: the
 * first request goes out bare; a 401 says Basic (then every request carries the credentials) or
 * Bearer (then each request carries a token from the challenge's realm, for its scope). Tokens
 * are cached per repository until shortly before they expire, and a repository's token is asked
 * for every action this client has needed there (plus the ones configured up front), so one
 * token serves the pulls and the deletes of a retention run. Concurrent requests share a token
 * request. Credentials go only into Authorization headers, never into URLs or messages.
 */
export class Authorizer {
  private scheme: Scheme = { kind: 'unknown' };
  private readonly tokens = new Map<string, Token>();
  private readonly pending = new Map<string, Promise<Token>>();
  private readonly actionsByRepository = new Map<string, Set<RepositoryAction>>();
  private readonly fetchToken: (url: URL, authorization: string | undefined) => Promise<Answer>;
  private readonly credentials: BasicCredentials | undefined;
  private readonly upfrontActions: readonly RepositoryAction[];
  private readonly now: () => number;

  constructor(options: {
    /** Sends the token request (with retries): GET `url` with `authorization`. */
    fetchToken: (url: URL, authorization: string | undefined) => Promise<Answer>;
    credentials?: BasicCredentials | undefined;
    /** Actions every repository token asks for, such as pull and delete for a retention run. */
    repositoryActions?: readonly RepositoryAction[];
    now?: () => number;
  }) {
    this.fetchToken = options.fetchToken;
    this.credentials = options.credentials;
    this.upfrontActions = options.repositoryActions ?? ['pull'];
    this.now = options.now ?? Date.now;
  }

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  /** The Authorization header for a request touching `scope`, fetching a token when one is needed. */
  async authorization(scope: AccessScope): Promise<string | undefined> {
    const scheme = this.scheme;
    if (scheme.kind === 'unknown') return undefined;
    if (scheme.kind === 'basic') return this.basic();
    return `Bearer ${(await this.token(scheme, scope)).value}`;
  }

  /**
   * Learns from a 401's challenge. True when sending the request again with a fresh
   * Authorization header may succeed: the scheme was new to this client, or the token it sent
   * fell short (expired, or without an action the registry now names); then that token is dropped.
   */
  challenged(header: string | string[] | undefined, scope: AccessScope, sent: string | undefined): boolean {
    const bearer = bearerChallenge(header);
    if (bearer !== undefined) {
      const known = this.scheme.kind === 'bearer' && this.scheme.realm === bearer.realm && this.scheme.service === bearer.service;
      if (!known) {
        this.scheme = { kind: 'bearer', realm: bearer.realm, ...(bearer.service !== undefined ? { service: bearer.service } : {}) };
        this.tokens.clear();
        return true;
      }
      if (sent === undefined) return true;
      for (const named of bearer.scopes) this.widen(named);
      this.tokens.delete(tokenKey(scope));
      return true;
    }
    if (parseChallenges(header).some((challenge) => challenge.scheme === 'basic') && this.credentials !== undefined) {
      if (this.scheme.kind === 'basic') return false;
      this.scheme = { kind: 'basic' };
      return true;
    }
    return false;
  }

  private basic(): string | undefined {
    if (this.credentials === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
  }

  /** A scope the registry named in a challenge (`repository:apps/web:pull,delete`) joins what this client asks for there. */
  private widen(named: string): void {
    const first = named.indexOf(':');
    const last = named.lastIndexOf(':');
    if (named.slice(0, first) !== 'repository' || last <= first) return;
    const repository = named.slice(first + 1, last);
    const actions = named
      .slice(last + 1)
      .split(',')
      .filter((action): action is RepositoryAction => (actionOrder as readonly string[]).includes(action));
    this.remember(repository, actions);
  }

  private remember(repository: string, actions: readonly RepositoryAction[]): Set<RepositoryAction> {
    let known = this.actionsByRepository.get(repository);
    if (known === undefined) {
      known = new Set(this.upfrontActions);
      this.actionsByRepository.set(repository, known);
    }
    for (const action of actions) known.add(action);
    return known;
  }

  private async token(scheme: Extract<Scheme, { kind: 'bearer' }>, scope: AccessScope): Promise<Token> {
    const key = tokenKey(scope);
    const wanted = scope !== undefined && 'repository' in scope ? this.remember(scope.repository, scope.actions) : new Set<RepositoryAction>();
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > this.now() && [...wanted].every((action) => cached.actions.has(action))) return cached;

    const actions = actionOrder.filter((action) => wanted.has(action));
    const scopes = scope === undefined ? [] : 'catalog' in scope ? ['registry:catalog:*'] : [`repository:${scope.repository}:${actions.join(',')}`];
    const flight = `${key} ${scopes.join(' ')}`;
    let request = this.pending.get(flight);
    if (request === undefined) {
      request = this.requestToken(scheme, scopes, new Set(actions)).finally(() => this.pending.delete(flight));
      this.pending.set(flight, request);
    }
    const token = await request;
    this.tokens.set(key, token);
    return token;
  }

  private async requestToken(scheme: Extract<Scheme, { kind: 'bearer' }>, scopes: string[], actions: ReadonlySet<RepositoryAction>): Promise<Token> {
    const url = tokenUrl(scheme, scopes);
    const summary = { method: 'GET', path: url.pathname };
    let answer: Answer;
    try {
      answer = await this.fetchToken(url, this.basic());
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new TokenRequestError(url.origin, summary, undefined, [], `the token service at ${url.origin} could not be reached: ${detail}`, { cause: error });
    }
    if (answer.status !== 200) {
      const why = answer.status === 401 || answer.status === 403 ? (this.credentials ? 'it refused the credentials' : 'it needs credentials') : 'it failed';
      throw new TokenRequestError(url.origin, summary, answer.status, registryErrorEntries(answer.body), `token service at ${url.origin}: ${why}`);
    }
    let reply: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      reply = JSON.parse(answer.body.toString()) as typeof reply;
    } catch {
      reply = {};
    }
    const value = typeof reply.token === 'string' && reply.token !== '' ? reply.token : reply.access_token;
    if (typeof value !== 'string' || value === '') {
      throw new TokenRequestError(url.origin, summary, answer.status, [], `token service at ${url.origin} answered without a token`);
    }
    const lifetimeMs = (typeof reply.expires_in === 'number' && reply.expires_in > 0 ? reply.expires_in : defaultTokenLifetimeSeconds) * 1000;
    // Renew a little early: the token must still be valid when the registry checks it.
    return { value, expiresAt: this.now() + lifetimeMs - Math.min(10_000, lifetimeMs / 10), actions };
  }
}

function tokenKey(scope: AccessScope): string {
  if (scope === undefined) return 'registry';
  return 'catalog' in scope ? 'catalog' : `repository:${scope.repository}`;
}
