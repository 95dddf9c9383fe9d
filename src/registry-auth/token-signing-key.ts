import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { certificatePem, createSelfSignedCertificate } from './certificate.ts';

/**
 * The key the token service signs with, and the self-signed certificate of it that distribution
 * trusts (`auth.token.rootcertbundle`). The operator makes one per Registry; both live in the
 * auth Secret, and only the certificate is mounted into the registry container.
 */
export interface TokenSigningKey {
  privateKey: KeyObject;
  certificate: X509Certificate;
}

/** PEM texts, as the auth Secret stores them. */
export interface TokenSigningKeyPem {
  /** PKCS#8 PEM of the P-256 private key. */
  privateKey: string;
  /** PEM of the self-signed certificate. */
  certificate: string;
}

/** A new P-256 key and its certificate, valid from a minute before `now` (clock skew) and never expiring. */
export function generateTokenSigningKey(now: Date, commonName: string): TokenSigningKeyPem {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certificate = createSelfSignedCertificate({ privateKey, commonName, notBefore: new Date(now.getTime() - 60_000) });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificate: certificatePem(certificate),
  };
}

/** Reads the PEM pair back; fails when the certificate is not of this key, which would make every token invalid. */
export function loadTokenSigningKey(pem: TokenSigningKeyPem): TokenSigningKey {
  const privateKey = createPrivateKey(pem.privateKey);
  const certificate = new X509Certificate(pem.certificate);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the token signing key must be an EC P-256 key');
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error('the token signing certificate does not belong to the token signing key');
  }
  return { privateKey, certificate };
}
