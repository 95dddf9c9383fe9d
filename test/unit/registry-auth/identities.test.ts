import { describe, expect, it } from 'vitest';
import {
  authenticate,
  isAccepted,
  parseIdentities,
  serializeIdentities,
  type IdentitiesDocument,
  type IdentityRecord,
} from '../../../src/registry-auth/identities.ts';
import { generatePassword, hashPassword, verifyPassword } from '../../../src/registry-auth/password.ts';

describe('passwords', () => {
  it('are 256 random bits in base64url, and never repeat', () => {
    const passwords = new Set([1, 2, 3, 4].map(() => generatePassword()));
    expect(passwords.size).toBe(4);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('are stored salted and hashed, and verify only with the same password', () => {
    const password = generatePassword();
    const stored = hashPassword(password);
    expect(stored).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(password);
    expect(hashPassword(password)).not.toBe(stored); // a fresh salt each time
    expect(verifyPassword(password, stored)).toBe(true);
    expect(verifyPassword(`${password}x`, stored)).toBe(false);
    expect(verifyPassword('', stored)).toBe(false);
  });

  it.each(['', 'plain', 'sha256$a$b', 'hmac-sha256$a', 'hmac-sha256$a$b$c', 'hmac-sha256$$'])('treat the malformed hash %j as matching nothing', (stored) => {
    expect(verifyPassword('anything', stored)).toBe(false);
  });
});

const now = new Date('2026-03-01T12:00:00Z');
const password = 'correct-horse-battery-staple-0123456789abcdef';
const record = (overrides: Partial<IdentityRecord>): IdentityRecord => ({
  username: 'pull-1',
  role: 'pull',
  passwordHash: hashPassword(password),
  createdAt: '2026-02-01T00:00:00.000Z',
  publishedAt: '2026-02-01T00:00:00.000Z',
  ...overrides,
});

describe('identities file', () => {
  it('round-trips, and tolerates fields it does not know (a newer operator wrote them)', () => {
    const document: IdentitiesDocument = { version: 1, identities: [record({})] };
    expect(parseIdentities(serializeIdentities(document))).toEqual(document);
    const newer = JSON.stringify({ ...document, futureField: true, identities: [{ ...record({}), futureField: 1 }] });
    expect(parseIdentities(newer).identities[0]!.username).toBe('pull-1');
  });

  it('rejects invalid files with the field at fault and without quoting values', () => {
    expect(() => parseIdentities('{')).toThrow('identities file is not JSON');
    const secretLooking = JSON.stringify({ version: 1, identities: [{ ...record({}), role: 'sUp3r-s3cret' }] });
    const error = (() => {
      try {
        parseIdentities(secretLooking);
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a throw');
    })();
    expect(error.message).toContain('identities.0.role');
    expect(error.message).not.toContain('sUp3r-s3cret');
  });
});

describe('authenticate', () => {
  const document: IdentitiesDocument = {
    version: 1,
    identities: [
      record({ username: 'pull-old', expiresAt: '2026-03-01T12:00:01.000Z' }),
      record({ username: 'pull-gone', expiresAt: '2026-03-01T12:00:00.000Z' }),
      record({ username: 'push-staged', role: 'push', publishedAt: undefined }),
      record({ username: 'maintainer-1', role: 'maintainer' }),
    ],
  };

  it('finds the record whose username and password both match', () => {
    expect(authenticate(document, 'maintainer-1', password, now)?.role).toBe('maintainer');
    expect(authenticate(document, 'maintainer-1', 'wrong', now)).toBeUndefined();
    expect(authenticate(document, 'nobody', password, now)).toBeUndefined();
  });

  it('accepts staged credentials, and superseded ones until they expire', () => {
    expect(authenticate(document, 'push-staged', password, now)?.role).toBe('push');
    expect(authenticate(document, 'pull-old', password, now)?.username).toBe('pull-old');
    expect(authenticate(document, 'pull-gone', password, now)).toBeUndefined();
    expect(isAccepted(document.identities[0]!, new Date('2026-03-01T12:00:01.000Z'))).toBe(false);
  });
});
