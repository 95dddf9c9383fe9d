import { randomBytes } from 'node:crypto';
import { authSecretKeys } from './pod-contract.ts';
import { secretText } from '../runtime/secret-data.ts';
import { parseIdentities, serializeIdentities, type IdentitiesDocument } from './identities.ts';
import { parseWriteGate, serializeWriteGate, type WriteGate } from './write-gate.ts';
import { generateTokenSigningKey, loadTokenSigningKey, type TokenSigningKeyPem } from './token-signing-key.ts';

/**
 * The auth Secret (`childNames(name).auth`): what the operator generates once per Registry and
 * keeps (signing key, distribution's http secret) plus identities.json, which it rewrites as
 * credentials rotate. Mounted into the auth container; its certificate alone into the registry
 * container; the http secret and notification endpoints reach distribution through env.
 */

export interface AuthSecretContents {
  signingKey: TokenSigningKeyPem;
  identities: IdentitiesDocument;
  httpSecret: string;
  /** From notificationEndpointsYaml(), when the registry sends notifications. */
  notificationEndpoints?: string;
  /** The write gate to put in force; none (pushes open) when undefined. */
  writeGate?: WriteGate;
}

/** What an existing auth Secret holds; a part that is missing or unreadable is undefined and gets made anew. */
export interface StoredAuthSecret {
  signingKey?: TokenSigningKeyPem;
  identities?: IdentitiesDocument;
  httpSecret?: string;
  /** The write gate the Secret holds, when it holds a readable one. */
  writeGate?: WriteGate;
}

/** The Secret's `data` (base64 values, as the API returns them, so a comparison with the live object is exact). */
export function authSecretData(contents: AuthSecretContents): Record<string, string> {
  const data: Record<string, string> = {
    [authSecretKeys.signingKey]: contents.signingKey.privateKey,
    [authSecretKeys.signingCertificate]: contents.signingKey.certificate,
    [authSecretKeys.identities]: serializeIdentities(contents.identities),
    [authSecretKeys.httpSecret]: contents.httpSecret,
    [authSecretKeys.writeGate]: serializeWriteGate(contents.writeGate),
  };
  if (contents.notificationEndpoints !== undefined) data[authSecretKeys.notificationEndpoints] = contents.notificationEndpoints;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]));
}

/** Reads the live Secret's `data`; never throws, since a broken part is simply replaced. */
export function readAuthSecret(data: Readonly<Record<string, string>> | undefined): StoredAuthSecret {
  const text = (key: string) => secretText(data, key);
  const stored: StoredAuthSecret = {};
  const privateKey = text(authSecretKeys.signingKey);
  const certificate = text(authSecretKeys.signingCertificate);
  if (privateKey !== undefined && certificate !== undefined && attempt(() => loadTokenSigningKey({ privateKey, certificate }))) {
    stored.signingKey = { privateKey, certificate };
  }
  const identities = text(authSecretKeys.identities);
  if (identities !== undefined) {
    const parsed = attempt(() => parseIdentities(identities));
    if (parsed) stored.identities = parsed;
  }
  const httpSecret = text(authSecretKeys.httpSecret);
  if (httpSecret !== undefined && httpSecret.length >= 32) stored.httpSecret = httpSecret;
  const writeGate = text(authSecretKeys.writeGate);
  const gate = writeGate === undefined ? undefined : attempt(() => parseWriteGate(writeGate));
  if (gate) stored.writeGate = gate;
  return stored;
}

/** The signing key and http secret to keep: the stored ones, or new ones where there are none. */
export function ensureAuthMaterial(stored: StoredAuthSecret, now: Date, commonName: string): Pick<AuthSecretContents, 'signingKey' | 'httpSecret'> {
  return {
    signingKey: stored.signingKey ?? generateTokenSigningKey(now, commonName),
    httpSecret: stored.httpSecret ?? randomBytes(32).toString('base64url'),
  };
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
