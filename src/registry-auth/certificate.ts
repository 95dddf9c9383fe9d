import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { bitString, boolean, certificateTime, explicit, objectIdentifier, octetString, sequence, set, unsignedInteger, utf8String } from './der.ts';

/**
 * A self-signed X.509 v3 certificate for a P-256 key. distribution takes the key that verifies
 * token signatures only from a certificate (`auth.token.rootcertbundle`), and node:crypto can
 * read certificates but not write them, hence this small writer.
 */

const oids = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
} as const;

/** RFC 5280 4.1.2.5: a certificate with "no well-defined expiration date" says 99991231235959Z. */
export const noWellDefinedExpiration = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

export interface SelfSignedCertificateOptions {
  /** The P-256 private key; the certificate carries its public half and is signed with it. */
  privateKey: KeyObject;
  commonName: string;
  notBefore: Date;
  notAfter?: Date;
  /** Up to 20 bytes (RFC 5280); 16 random bytes when omitted. */
  serialNumber?: Buffer;
}

/** The certificate's DER bytes. */
export function createSelfSignedCertificate(options: SelfSignedCertificateOptions): Buffer {
  const { privateKey, commonName, notBefore, notAfter = noWellDefinedExpiration } = options;
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the certificate key must be an EC P-256 private key');
  }
  const publicKey = createPublicKey(privateKey);
  const signatureAlgorithm = sequence(objectIdentifier(oids.ecdsaWithSha256));
  const name = sequence(set(sequence(objectIdentifier(oids.commonName), utf8String(commonName))));

  const tbsCertificate = sequence(
    explicit(0, unsignedInteger(2)), // v3: extensions follow
    unsignedInteger(positiveSerialNumber(options.serialNumber ?? randomBytes(16))),
    signatureAlgorithm,
    name, // issuer: self-signed, so the subject
    sequence(certificateTime(notBefore), certificateTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        // A CA certificate, so that verifiers that walk chains accept it as their root too.
        extension(oids.basicConstraints, true, sequence(boolean(true))),
        // digitalSignature (bit 0) and keyCertSign (bit 5): 1000 0100, two unused bits.
        extension(oids.keyUsage, true, bitString(Buffer.from([0x84]), 2)),
        extension(oids.subjectKeyIdentifier, false, octetString(subjectKeyIdentifier(publicKey))),
      ),
    ),
  );
  const signature = sign('sha256', tbsCertificate, { key: privateKey, dsaEncoding: 'der' });
  return sequence(tbsCertificate, signatureAlgorithm, bitString(signature));
}

export function certificatePem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, here the uncompressed EC point. */
function subjectKeyIdentifier(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  return createHash('sha1').update(point).digest();
}

/** Serial numbers must be positive and at most 20 octets (RFC 5280 4.1.2.2). */
function positiveSerialNumber(bytes: Buffer): Buffer {
  if (bytes.length === 0 || bytes.length > 20) throw new Error('a serial number has 1 to 20 bytes');
  const serial = Buffer.from(bytes);
  serial[0] = serial[0]! & 0x7f; // keeps the encoding within 20 octets
  if (serial.every((byte) => byte === 0)) serial[serial.length - 1] = 1;
  return serial;
}
