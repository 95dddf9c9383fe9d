import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerChallenge, formatChallenges, parseChallenges, replaceBearerRealm, tokenUrl } from '../../../src/oci/challenge.ts';

describe('parseChallenges', () => {
  it('reads distribution token challenge with several scopes', () => {
    const header = 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:apps/web:pull repository:apps/api:pull,push"';
    expect(bearerChallenge(header)).toEqual({
      realm: 'https://auth.example/token',
      service: 'registry.example',
      scopes: ['repository:apps/web:pull', 'repository:apps/api:pull,push'],
    });
  });

  it('reads several challenges in one header, with commas and escaped quotes inside quoted values', () => {
    const header = 'Basic realm="a, \\"quoted\\" realm", Bearer realm="https://t.example/token",error="insufficient_scope", Negotiate abc123==';
    expect(parseChallenges(header)).toEqual([
      { scheme: 'basic', parameters: { realm: 'a, "quoted" realm' } },
      { scheme: 'bearer', parameters: { realm: 'https://t.example/token', error: 'insufficient_scope' } },
      { scheme: 'negotiate', parameters: {} },
    ]);
    expect(bearerChallenge(header)?.error).toBe('insufficient_scope');
  });

  it('treats scheme and parameter names without regard to case, and reads unquoted values', () => {
    expect(parseChallenges('BEARER Realm=https://t.example/token, Service = reg')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'https://t.example/token', service: 'reg' } },
    ]);
  });

  it('reads challenges spread over several header values', () => {
    expect(parseChallenges(['Basic realm="x"', 'Bearer realm="y"']).map((challenge) => challenge.scheme)).toEqual(['basic', 'bearer']);
  });

  it('finds no Bearer challenge without a realm, in Basic only, or in nothing', () => {
    expect(bearerChallenge('Bearer service="x"')).toBeUndefined();
    expect(bearerChallenge('Basic realm="registry"')).toBeUndefined();
    expect(bearerChallenge(undefined)).toBeUndefined();
    expect(parseChallenges('')).toEqual([]);
  });

  it('survives any text without throwing', () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        parseChallenges(header);
      }),
    );
  });

  it('reads back what it formats, whatever the parameter values', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);
    const challenge = fc.record({
      scheme: fc.constantFrom('basic', 'bearer', 'digest'),
      parameters: fc.dictionary(name, fc.string({ unit: 'grapheme-ascii' }), { maxKeys: 4 }),
    });
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 3 }), (challenges) => {
        expect(parseChallenges(formatChallenges(challenges))).toEqual(challenges);
      }),
    );
  });
});

describe('tokenUrl', () => {
  it('adds the service and one scope parameter per scope to the realm', () => {
    const url = tokenUrl({ realm: 'https://auth.example/token?client=x', service: 'registry.example' }, ['registry:catalog:*', 'repository:a:pull']);
    expect(url.searchParams.get('client')).toBe('x');
    expect(url.searchParams.get('service')).toBe('registry.example');
    expect(url.searchParams.getAll('scope')).toEqual(['registry:catalog:*', 'repository:a:pull']);
  });
});

describe('replaceBearerRealm', () => {
  const challenge = 'Bearer realm="http://dockyard-auth-server.invalid/auth/token",service="main.team-a.dockyard.dev",scope="repository:apps/web:pull"';

  it('replaces only the realm of a Bearer challenge', () => {
    expect(replaceBearerRealm(challenge, 'http://localhost:5000/auth/token')).toBe(
      'Bearer realm="http://localhost:5000/auth/token",service="main.team-a.dockyard.dev",scope="repository:apps/web:pull"',
    );
  });

  it('leaves a header without a Bearer challenge exactly as it was', () => {
    expect(replaceBearerRealm('Basic realm="x"', 'http://y/auth/token')).toBe('Basic realm="x"');
    expect(replaceBearerRealm('Basic  realm=x', 'http://y/auth/token')).toBe('Basic  realm=x');
  });
});
