import { verify, X509Certificate } from 'node:crypto';
import type { TokenClaims } from '../../src/registry-auth/token.ts';

export interface DecodedToken {
  header: { typ?: string; alg?: string; kid?: string; x5c?: string[] };
  claims: TokenClaims;
  /** Whether the signature verifies with the public key of the certificate in x5c[0]. */
  signatureValid: boolean;
}

/** Decodes a registry token and checks its signature the way distribution does with an x5c header. */
export function decodeRegistryToken(token: string): DecodedToken {
  const [header, claims, signature] = token.split('.');
  if (header === undefined || claims === undefined || signature === undefined) throw new Error('not a compact JWS');
  const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as DecodedToken['header'];
  const leaf = parsedHeader.x5c?.[0];
  const signatureValid =
    leaf !== undefined &&
    verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      { key: new X509Certificate(Buffer.from(leaf, 'base64')).publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
  return { header: parsedHeader, claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as TokenClaims, signatureValid };
}
