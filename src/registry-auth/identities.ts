import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { verifyPassword } from './password.ts';

/**
 * The identities a registry's token service accepts: `identities.json` in the auth Secret. The
 * operator writes it (see credential-plan.ts); `dockyard auth-server` only reads it. Passwords
 * are stored hashed: the plaintext lives in the push, pull and maintainer Secrets alone.
 */

export const roles = ['pull', 'push', 'maintainer'] as const;
/** pull: pull only. push: pull and push. maintainer: pull, push and delete, for Dockyard's own jobs. */
export type Role = (typeof roles)[number];

const Timestamp = z.iso.datetime({ offset: false });

/**
 * One credential. Its lifecycle: staged (accepted, not yet handed out, so the token service
 * learns it before any client can present it), published (what the role's Secret hands out),
 * superseded (still accepted until `expiresAt`, so copies of the old Secret keep working).
 */
export const IdentityRecord = z.object({
  username: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/),
  role: z.enum(roles),
  passwordHash: z.string().min(1).max(256),
  createdAt: Timestamp,
  /** When the role's Secret started handing it out; absent while staged. */
  publishedAt: Timestamp.optional(),
  /** From then on the token service refuses it; set when a newer credential is published. */
  expiresAt: Timestamp.optional(),
});
export type IdentityRecord = z.infer<typeof IdentityRecord>;

// Plain objects, not strict ones: a token service of an older release must still read the file
// a newer operator wrote while the rollout is under way.
export const IdentitiesDocument = z.object({
  version: z.literal(1),
  /** The last `dockyard.dev/rotate-credentials` annotation value acted on. */
  handledRotationRequest: z.string().max(256).optional(),
  identities: z.array(IdentityRecord).max(64),
});
export type IdentitiesDocument = z.infer<typeof IdentitiesDocument>;

export function parseIdentities(text: string): IdentitiesDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('identities file is not JSON');
  }
  const parsed = IdentitiesDocument.safeParse(json);
  if (!parsed.success) {
    // Issue paths and messages only: zod would otherwise quote the rejected values.
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`identities file is invalid: ${issues.slice(0, 5).join('; ')}`);
  }
  return parsed.data;
}

export function serializeIdentities(document: IdentitiesDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Whether the token service accepts the record at `now`: staged and published ones, and superseded ones until they expire. */
export function isAccepted(record: IdentityRecord, now: Date): boolean {
  return record.expiresAt === undefined || now.getTime() < Date.parse(record.expiresAt);
}

/**
 * The record these credentials match, if any. Every record is checked, whatever the username,
 * so the time taken says nothing about which usernames exist.
 */
export function authenticate(document: IdentitiesDocument, username: string, password: string, now: Date): IdentityRecord | undefined {
  const presented = fingerprint(username);
  let match: IdentityRecord | undefined;
  for (const record of document.identities) {
    const sameUser = timingSafeEqual(presented, fingerprint(record.username));
    const samePassword = verifyPassword(password, record.passwordHash);
    if (sameUser && samePassword && isAccepted(record, now)) match = record;
  }
  return match;
}

/** Fixed-length digests, so usernames of any length compare in constant time. */
function fingerprint(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
