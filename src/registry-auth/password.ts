import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Generated passwords and their stored form.
 *
 * Every password is 256 random bits, never chosen by a person, so guessing one from its hash is
 * as hard as guessing the password itself. A slow KDF (scrypt, bcrypt) protects low-entropy
 * passwords against dictionaries; here it would add nothing but CPU to every token request. The
 * stored form is therefore a salted HMAC-SHA-256, prefixed with its scheme so it can change.
 */

const scheme = 'hmac-sha256';
const passwordBytes = 32;
const saltBytes = 16;

/** 256 random bits as 43 base64url characters: safe in Basic auth, docker config and env vars. */
export function generatePassword(): string {
  return randomBytes(passwordBytes).toString('base64url');
}

export function hashPassword(password: string, salt: Buffer = randomBytes(saltBytes)): string {
  return `${scheme}$${salt.toString('base64url')}$${digest(salt, password).toString('base64url')}`;
}

/** Whether `password` matches `stored`, in time independent of where they differ. Malformed hashes match nothing. */
export function verifyPassword(password: string, stored: string): boolean {
  const [storedScheme, saltText, expectedText, ...rest] = stored.split('$');
  if (storedScheme !== scheme || saltText === undefined || expectedText === undefined || rest.length > 0) return false;
  const expected = Buffer.from(expectedText, 'base64url');
  const actual = digest(Buffer.from(saltText, 'base64url'), password);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function digest(salt: Buffer, password: string): Buffer {
  return createHmac('sha256', salt).update(password, 'utf8').digest();
}
