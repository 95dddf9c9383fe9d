import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificatePem, createSelfSignedCertificate, noWellDefinedExpiration } from '../../../src/registry-auth/certificate.ts';
import { generateTokenSigningKey, loadTokenSigningKey } from '../../../src/registry-auth/token-signing-key.ts';

const notBefore = new Date('2026-03-01T12:00:00Z');

describe('createSelfSignedCertificate', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = createSelfSignedCertificate({ privateKey, commonName: 'main.team-a.dockyard.dev', notBefore, serialNumber: Buffer.from('ff0102', 'hex') });
  const certificate = new X509Certificate(der);
  const workDir = mkdtempSync(join(tmpdir(), 'dockyard-cert-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('is a certificate of the key, signed by it', () => {
    expect(certificate.publicKey.export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
    expect(certificate.verify(publicKey)).toBe(true);
    expect(certificate.checkPrivateKey(privateKey)).toBe(true);
  });

  it('names its subject as issuer, is a CA, and never expires', () => {
    expect(certificate.subject).toBe('CN=main.team-a.dockyard.dev');
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.ca).toBe(true);
    expect(new Date(certificate.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(certificate.validTo).toISOString()).toBe(noWellDefinedExpiration.toISOString());
    // The top bit of the serial is cleared, so the number stays positive.
    expect(certificate.serialNumber).toBe('7F0102');
  });

  it('reads back through openssl with the extensions distribution relies on', () => {
    const file = join(workDir, 'token.crt');
    writeFileSync(file, certificatePem(der));
    const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Version: 3 (0x2)');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).toContain('ASN1 OID: prime256v1');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    // A self-signed root verifies against itself.
    expect(execFileSync('openssl', ['verify', '-CAfile', file, file], { encoding: 'utf8' })).toContain(': OK');
  });

  it('accepts only P-256 keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(() => createSelfSignedCertificate({ privateKey: rsa, commonName: 'x', notBefore })).toThrow('P-256');
    expect(() => createSelfSignedCertificate({ privateKey: p384, commonName: 'x', notBefore })).toThrow('P-256');
  });

  it('gives each certificate a fresh random serial when none is given', () => {
    const serials = new Set([1, 2, 3].map(() => new X509Certificate(createSelfSignedCertificate({ privateKey, commonName: 'x', notBefore })).serialNumber));
    expect(serials.size).toBe(3);
  });
});

describe('token signing key', () => {
  it('generates a PEM pair that loads back, valid from a minute before now', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const pem = generateTokenSigningKey(now, 'main.team-a.dockyard.dev');
    expect(pem.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pem.certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
    const key = loadTokenSigningKey(pem);
    expect(new Date(key.certificate.validFrom).getTime()).toBe(now.getTime() - 60_000);
  });

  it('refuses a certificate of another key', () => {
    const one = generateTokenSigningKey(new Date(), 'one');
    const other = generateTokenSigningKey(new Date(), 'other');
    expect(() => loadTokenSigningKey({ privateKey: one.privateKey, certificate: other.certificate })).toThrow('does not belong');
  });
});
