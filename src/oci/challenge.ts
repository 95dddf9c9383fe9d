/**
 * `WWW-Authenticate` challenges (RFC 9110 11.6.1) as registries send them: `Basic realm="..."`,
 * or Docker token authentication's `Bearer realm="...",service="...",scope="..."`, where scope
 * may hold several space-separated scopes. One header may carry several challenges, separated
 * by commas like the parameters themselves; quoted values may hold commas and escaped quotes.
 */
export interface Challenge {
  /** Lowercase: `basic`, `bearer`. */
  scheme: string;
  /** Parameter names lowercased; values unquoted. */
  parameters: Record<string, string>;
}

export interface BearerChallenge {
  realm: string;
  service?: string;
  /** Every scope the registry named, in its order. */
  scopes: string[];
  /** `insufficient_scope`, `invalid_token`, ... when the registry says why. */
  error?: string;
}

const token = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const token68 = /[A-Za-z0-9._~+/-]+=*(?=\s*(?:,|$))/y;
const parameterStart = /[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=(?!=)/y;
const whitespace = /[ \t]*/y;
// A token by the RFC; registries that do not quote a URL are read to the next comma anyway.
const unquotedValue = /[^\s,]*/y;

/** Every challenge in `header` (or in each of several header values), in order. Unparseable text is skipped. */
export function parseChallenges(header: string | readonly string[] | null | undefined): Challenge[] {
  if (header === null || header === undefined) return [];
  if (typeof header !== 'string') return header.flatMap((value) => parseChallenges(value));
  const challenges: Challenge[] = [];
  let position = 0;
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = position;
    const found = pattern.exec(header);
    if (found === null) return undefined;
    position = pattern.lastIndex;
    return found[0];
  };
  const skipSeparators = () => {
    while (position < header.length && /[\s,]/.test(header[position]!)) position++;
  };

  skipSeparators();
  while (position < header.length) {
    const scheme = match(token);
    if (scheme === undefined) {
      // Not a challenge: skip to the next comma and try again there.
      const comma = header.indexOf(',', position);
      position = comma === -1 ? header.length : comma;
      skipSeparators();
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), parameters: {} };
    challenges.push(challenge);
    match(whitespace);
    if (!lookingAt(parameterStart, header, position) && match(token68) !== undefined) {
      skipSeparators();
      continue;
    }
    while (lookingAt(parameterStart, header, position)) {
      const name = match(token)!.toLowerCase();
      match(whitespace);
      position++; // '='
      match(whitespace);
      const value = header[position] === '"' ? readQuoted() : (match(unquotedValue) ?? '');
      challenge.parameters[name] = value;
      match(whitespace);
      if (header[position] === ',') {
        position++;
        skipSeparators();
      }
    }
    skipSeparators();
  }
  return challenges;

  function readQuoted(): string {
    let value = '';
    position++; // opening quote
    while (position < header!.length && header![position] !== '"') {
      if (header![position] === '\\' && position + 1 < header!.length) position++;
      value += header![position];
      position++;
    }
    position++; // closing quote
    return value;
  }
}

function lookingAt(pattern: RegExp, text: string, position: number): boolean {
  pattern.lastIndex = position;
  return pattern.test(text);
}

/** The first Bearer challenge with a realm, as Docker token authentication reads it. */
export function bearerChallenge(header: string | readonly string[] | null | undefined): BearerChallenge | undefined {
  const challenge = parseChallenges(header).find((candidate) => candidate.scheme === 'bearer' && candidate.parameters['realm'] !== undefined);
  if (challenge === undefined) return undefined;
  const { realm, service, scope, error } = challenge.parameters;
  return {
    realm: realm!,
    ...(service !== undefined ? { service } : {}),
    scopes: (scope ?? '').split(' ').filter((entry) => entry !== ''),
    ...(error !== undefined ? { error } : {}),
  };
}

/**
 * The URL to GET a token from: the realm with `service` and one `scope` parameter per scope,
 * as docker and containerd send them (distribution's token servers read repeated parameters).
 */
export function tokenUrl(challenge: Pick<BearerChallenge, 'realm' | 'service'>, scopes: readonly string[]): URL {
  const url = new URL(challenge.realm);
  if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  return url;
}

/** Writes challenges back, in the compact form distribution sends: `Bearer realm="...",service="..."`. */
export function formatChallenges(challenges: readonly Challenge[]): string {
  return challenges
    .map(({ scheme, parameters }) => {
      const name = scheme.charAt(0).toUpperCase() + scheme.slice(1);
      const rendered = Object.entries(parameters).map(([key, value]) => `${key}="${value.replace(/["\\]/g, '\\$&')}"`);
      return rendered.length === 0 ? name : `${name} ${rendered.join(',')}`;
    })
    .join(', ');
}

/**
 * The header with the realm of each Bearer challenge replaced, for a proxy that serves the
 * token service under another address. A header without a Bearer challenge comes back as it was.
 */
export function replaceBearerRealm(header: string, realm: string): string {
  const challenges = parseChallenges(header);
  if (!challenges.some((challenge) => challenge.scheme === 'bearer')) return header;
  return formatChallenges(
    challenges.map((challenge) => (challenge.scheme === 'bearer' ? { ...challenge, parameters: { ...challenge.parameters, realm } } : challenge)),
  );
}
