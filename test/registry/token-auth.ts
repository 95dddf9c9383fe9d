/**
 * The client side of Docker token authentication, as docker and containerd do it: send the
 * request; on a 401 with a Bearer challenge, ask the challenge's realm for a token (with HTTP
 * Basic credentials, or none), and send the request again with it. Test tooling: it remembers
 * every challenge and token reply, so tests can check what the registry and token service said.
 */
import { type BearerChallenge, bearerChallenge, tokenUrl } from '../../src/oci/challenge.ts';

export class TokenRequestRefused extends Error {
  readonly status: number;

  constructor(status: number, realm: string) {
    super(`token request to ${realm} refused: HTTP ${status}`);
    this.status = status;
  }
}

export class TokenAuthClient {
  /** Every Bearer challenge received, in order. */
  readonly challenges: BearerChallenge[] = [];
  /** Every token issued to this client, in order. */
  readonly tokens: string[] = [];
  private readonly credentials: { username: string; password: string } | undefined;
  private readonly tokenByScope = new Map<string, string>();

  constructor(credentials?: { username: string; password: string }) {
    this.credentials = credentials;
  }

  /** A fetch with the token flow, for RegistryPusher and direct calls. Bodies must be re-sendable (Buffer, string). */
  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const cached = this.tokenByScope.get(scopeKeyFor(url));
    const first = await fetch(url, withBearer(init, cached));
    const challenge = first.status === 401 ? bearerChallenge(first.headers.get('www-authenticate')) : undefined;
    if (challenge === undefined) return first;
    await first.body?.cancel();
    this.challenges.push(challenge);
    const token = await this.requestToken(challenge);
    this.tokenByScope.set(scopeKeyFor(url), token);
    return fetch(url, withBearer(init, token));
  };

  private async requestToken(challenge: BearerChallenge): Promise<string> {
    const headers: Record<string, string> = {};
    if (this.credentials) {
      headers['authorization'] = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    }
    const response = await fetch(tokenUrl(challenge, challenge.scopes), { headers });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new TokenRequestRefused(response.status, challenge.realm);
    }
    const { token } = (await response.json()) as { token: string };
    this.tokens.push(token);
    return token;
  }
}

/** Requests to one repository share a token; the registry asks again when it needs more scope. */
function scopeKeyFor(url: string): string {
  const path = new URL(url).pathname;
  const repository = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(path)?.[1];
  return repository ?? path;
}

function withBearer(init: RequestInit, token: string | undefined): RequestInit {
  if (token === undefined) return init;
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}
