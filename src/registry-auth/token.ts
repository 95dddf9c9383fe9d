import { randomBytes, sign, verify, type X509Certificate } from 'node:crypto';
import type { Access } from './scope.ts';
import type { TokenSigningKey } from './token-signing-key.ts';

/**
 * Bearer tokens in the shape distribution's token authentication verifies (registry/auth/token in
 * both 2.8 and 3.x): a compact JWS, ES256, whose header carries the signing certificate as `x5c`.
 *
 * Why `x5c` and no `kid`: both versions look for `x5c` first and verify it against the
 * rootcertbundle. A `kid` is looked up differently by each: 2.8 as a libtrust fingerprint,
 * 3.0.0 as an RFC 7638 thumbprint that, for EC keys, it computes from the curve's base point
 * instead of the key (util.go, fixed after 3.0.0). Only `x5c` means the same thing to both.
 */
export interface TokenClaims {
  iss: string;
  sub: string;
  /** A single string: 2.8 reads `aud` as a string only; 3.x takes a string or a list. */
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

export interface TokenRequest {
  issuer: string;
  /** The registry's `service`, which distribution requires as the audience. */
  service: string;
  /** The username, or '' for an anonymous token. */
  subject: string;
  access: Access[];
  now: Date;
  lifetimeSeconds: number;
}

export interface IssuedToken {
  token: string;
  claims: TokenClaims;
}

export function issueToken(key: TokenSigningKey, request: TokenRequest): IssuedToken {
  const issuedAt = Math.floor(request.now.getTime() / 1000);
  const claims: TokenClaims = {
    iss: request.issuer,
    sub: request.subject,
    aud: request.service,
    exp: issuedAt + request.lifetimeSeconds,
    // 2.8 checks nbf <= now without leeway; the registry shares our clock, so "now" is safe.
    nbf: issuedAt,
    iat: issuedAt,
    jti: randomBytes(16).toString('base64url'),
    access: request.access,
  };
  const header = { typ: 'JWT', alg: 'ES256', x5c: [key.certificate.raw.toString('base64')] };
  const signingInput = `${base64urlJson(header)}.${base64urlJson(claims)}`;
  // JWS wants the raw r || s signature (RFC 7518 3.4), not DER.
  const signature = sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return { token: `${signingInput}.${signature.toString('base64url')}`, claims };
}

/**
 * The claims of a token this service signed with the key of `certificate`, or undefined for
 * anything else (another signer, a forged or malformed token). Expiry is not checked: the door
 * reads tokens distribution has already judged, only to explain its refusals.
 */
export function readOwnToken(certificate: X509Certificate, token: string): TokenClaims | undefined {
  const [header, claims, signature] = token.split('.');
  if (header === undefined || claims === undefined || signature === undefined) return undefined;
  try {
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      { key: certificate.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return undefined;
    const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Partial<TokenClaims>;
    if (typeof parsed.sub !== 'string' || !Array.isArray(parsed.access)) return undefined;
    return parsed as TokenClaims;
  } catch {
    return undefined;
  }
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
