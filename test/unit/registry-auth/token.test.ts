import { describe, expect, it } from 'vitest';
import { issueToken } from '../../../src/registry-auth/token.ts';
import { generateTokenSigningKey, loadTokenSigningKey } from '../../../src/registry-auth/token-signing-key.ts';
import { decodeRegistryToken } from '../../support/registry-token.ts';

const key = loadTokenSigningKey(generateTokenSigningKey(new Date('2026-01-01T00:00:00Z'), 'main.team-a.dockyard.dev'));
const now = new Date('2026-03-01T12:00:00.750Z');
const request = {
  issuer: 'dockyard-auth-server',
  service: 'main.team-a.dockyard.dev',
  subject: 'pull-0a1b2c3d',
  access: [{ type: 'repository', name: 'apps/web', actions: ['pull'] }],
  now,
  lifetimeSeconds: 300,
};

describe('issueToken', () => {
  it('signs ES256 with the certificate in x5c and no kid, which distribution 2.8 and 3.x both verify', () => {
    const { token } = issueToken(key, request);
    const decoded = decodeRegistryToken(token);
    expect(decoded.header).toEqual({ typ: 'JWT', alg: 'ES256', x5c: [key.certificate.raw.toString('base64')] });
    expect(decoded.signatureValid).toBe(true);
  });

  it('carries the claims distribution checks: issuer, audience = service, times in whole seconds, access', () => {
    const { token, claims } = issueToken(key, request);
    const iat = Math.floor(now.getTime() / 1000);
    expect(decodeRegistryToken(token).claims).toEqual(claims);
    expect(claims).toEqual({
      iss: 'dockyard-auth-server',
      sub: 'pull-0a1b2c3d',
      aud: 'main.team-a.dockyard.dev',
      iat,
      nbf: iat,
      exp: iat + 300,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      access: [{ type: 'repository', name: 'apps/web', actions: ['pull'] }],
    });
  });

  it('gives every token its own id, and a tampered token fails verification', () => {
    const first = issueToken(key, request);
    const second = issueToken(key, request);
    expect(first.claims.jti).not.toBe(second.claims.jti);
    const [header, , signature] = first.token.split('.');
    const widened = Buffer.from(JSON.stringify({ ...first.claims, access: [{ type: 'repository', name: 'apps/web', actions: ['pull', 'push'] }] })).toString(
      'base64url',
    );
    expect(decodeRegistryToken(`${header}.${widened}.${signature}`).signatureValid).toBe(false);
  });
});
