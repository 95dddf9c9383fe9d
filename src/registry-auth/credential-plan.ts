import { randomBytes } from 'node:crypto';
import { durationMilliseconds } from '../api/v1alpha1/duration.ts';
import { isAccepted, roles, type IdentitiesDocument, type IdentityRecord, type Role } from './identities.ts';
import { generatePassword, hashPassword, verifyPassword } from './password.ts';

/**
 * The credential lifecycle as a pure function: what identities.json and the push, pull and
 * maintainer Secrets should hold now, given what they hold, the rotation settings and the time.
 * Level-based like a reconcile: calling it again with its own output changes nothing until a
 * deadline passes (`nextReviewAt`).
 *
 * A rotation has two steps, because a new password must be accepted before anyone can present
 * it. kubelet refreshes the token service's mounted copy of the auth Secret up to a minute or two
 * after the write, while the pull Secret (and every fanned-out copy of it) is read straight from
 * the API. So a new credential is first *staged* (in identities.json, kept in its role's Secret
 * under separate keys, not handed out) and *published* only `propagationDelay` later; the one it
 * replaces stays accepted for `overlap` after that. The operator writes the auth Secret before
 * the credential Secrets.
 */

export interface Credential {
  username: string;
  password: string;
}

/** What one role's Secret holds: the credential it hands out, and the one being introduced. */
export interface RoleCredentials {
  published?: Credential;
  staged?: Credential;
}

export interface CredentialPlanInput {
  /** The current identities.json; undefined before the first reconcile. */
  identities: IdentitiesDocument | undefined;
  /** The plaintext read from the push, pull and maintainer Secrets (missing ones omitted). */
  known: Partial<Record<Role, RoleCredentials>>;
  /** spec.auth.credentialRotation; without it credentials rotate only on request. */
  rotation: { period: string; overlap: string } | undefined;
  /** The value of rotateCredentialsAnnotation; a value not yet handled rotates every role once. */
  rotationRequest: string | undefined;
  now: Date;
  /** How long a staged credential waits before it is published. */
  propagationDelayMs?: number;
}

export type CredentialChange =
  /** A first credential, published at once: nothing can hold an older one. */
  | 'created'
  /** A new credential, accepted from now on but not handed out yet. */
  | 'staged'
  /** The staged credential is now handed out; the previous one expires after the overlap. */
  | 'published'
  /** The published credential's plaintext was gone (its Secret deleted or edited): a new one is published at once. */
  | 'replaced'
  /** A superseded credential passed its expiry and was dropped. */
  | 'expired';

export interface CredentialEvent {
  role: Role;
  change: CredentialChange;
  username: string;
}

/** What a role's Secret must hold after the plan: there is always a credential to hand out. */
export interface PlannedCredentials {
  published: Credential;
  staged?: Credential;
}

export interface CredentialPlan {
  identities: IdentitiesDocument;
  credentials: Record<Role, PlannedCredentials>;
  /** What changed, for Events and logs; empty when nothing did. */
  events: CredentialEvent[];
  /** The next deadline (publication, periodic rotation, expiry): requeue then. */
  nextReviewAt: Date | undefined;
}

/**
 * Set on a Registry to rotate its credentials now: any new value (a timestamp, say, as in
 * `kubectl annotate registry main dockyard.dev/rotate-credentials=$(date -u +%FT%TZ) --overwrite`)
 * rotates every role once; the value handled last is kept in identities.json.
 */
export const rotateCredentialsAnnotation = 'dockyard.dev/rotate-credentials';

/** Long enough for kubelet's sync period (1 min by default) plus jitter, before a credential is handed out. */
export const defaultPropagationDelayMs = 3 * 60_000;
/** The overlap of a requested rotation when spec.auth.credentialRotation is unset: the schema's default. */
const defaultOverlap = '24h';
/** Superseded credentials kept per role; older ones go early when rotations are requested faster than they expire. */
const maxSupersededPerRole = 3;

export function planCredentials(input: CredentialPlanInput): CredentialPlan {
  const rotationRequested = input.rotationRequest !== undefined && input.rotationRequest !== input.identities?.handledRotationRequest;
  const settings: RoleSettings = {
    now: input.now,
    delayMs: input.propagationDelayMs ?? defaultPropagationDelayMs,
    overlapMs: durationMilliseconds(input.rotation?.overlap ?? defaultOverlap),
    periodMs: input.rotation === undefined ? undefined : durationMilliseconds(input.rotation.period),
    rotationRequested,
  };
  const plans = roles.map((role) =>
    planRole(
      role,
      (input.identities?.identities ?? []).filter((record) => record.role === role),
      input.known[role] ?? {},
      settings,
    ),
  );
  const deadlines = plans.flatMap((plan) => plan.deadlines);
  const handledRotationRequest = rotationRequested ? input.rotationRequest : input.identities?.handledRotationRequest;
  return {
    identities: {
      version: 1,
      ...(handledRotationRequest === undefined ? {} : { handledRotationRequest }),
      identities: plans.flatMap((plan) => plan.records),
    },
    credentials: Object.fromEntries(roles.map((role, index) => [role, plans[index]!.credentials])) as Record<Role, PlannedCredentials>,
    events: plans.flatMap((plan) => plan.events),
    nextReviewAt: deadlines.length === 0 ? undefined : new Date(Math.min(...deadlines)),
  };
}

interface RoleSettings {
  now: Date;
  delayMs: number;
  overlapMs: number;
  periodMs: number | undefined;
  rotationRequested: boolean;
}

interface RolePlan {
  records: IdentityRecord[];
  credentials: PlannedCredentials;
  events: CredentialEvent[];
  deadlines: number[];
}

function planRole(role: Role, records: IdentityRecord[], known: RoleCredentials, settings: RoleSettings): RolePlan {
  const { now, delayMs, overlapMs, periodMs } = settings;
  const events: CredentialEvent[] = [];
  const event = (change: CredentialChange, record: IdentityRecord) => events.push({ role, change, username: record.username });
  const supersede = (record: IdentityRecord): IdentityRecord => ({ ...record, expiresAt: new Date(now.getTime() + overlapMs).toISOString() });

  // Plaintext by username, for the records whose hash it matches; new records add theirs.
  const plaintext = new Map<string, Credential>();
  const live: IdentityRecord[] = [];
  for (const record of [...records].sort(byCreation)) {
    if (!isAccepted(record, now)) {
      event('expired', record);
      continue;
    }
    live.push(record);
    const match = [known.published, known.staged].find(
      (credential) => credential?.username === record.username && verifyPassword(credential.password, record.passwordHash),
    );
    if (match !== undefined) plaintext.set(record.username, match);
  }
  const create = (published: boolean): IdentityRecord => {
    const { record, credential } = newRecord(role, now, published);
    plaintext.set(record.username, credential);
    return record;
  };
  const publish = (record: IdentityRecord): IdentityRecord => ({ ...record, publishedAt: now.toISOString() });

  const superseded = live.filter((record) => record.expiresAt !== undefined);
  // Normally at most one of each; anything else (a crash between two writes, a hand edit) is repaired here.
  const publishedRecords = live.filter((record) => record.publishedAt !== undefined && record.expiresAt === undefined);
  let current = publishedRecords.pop();
  superseded.push(...publishedRecords.map(supersede));
  // A staged credential whose plaintext is gone can never be handed out: it is dropped.
  let staged = live.filter((record) => record.publishedAt === undefined && plaintext.has(record.username)).pop();

  if (current !== undefined && !plaintext.has(current.username)) {
    // Nothing can hand the published credential out any more; copies of it may still be in use.
    superseded.push(supersede(current));
    current = undefined;
  }
  if (current === undefined && staged !== undefined) {
    current = publish(staged);
    staged = undefined;
    event('published', current);
  }
  if (current === undefined) {
    current = create(true);
    event(live.length === 0 ? 'created' : 'replaced', current);
  }

  const periodic = periodMs !== undefined && Date.parse(current.publishedAt!) + periodMs <= now.getTime();
  if (staged === undefined && (periodic || settings.rotationRequested)) {
    staged = create(false);
    event('staged', staged);
  }
  if (staged !== undefined && Date.parse(staged.createdAt) + delayMs <= now.getTime()) {
    superseded.push(supersede(current));
    current = publish(staged);
    staged = undefined;
    event('published', current);
  }

  const kept = superseded.sort(byCreation).slice(-maxSupersededPerRole);
  const deadlines = kept.map((record) => Date.parse(record.expiresAt!));
  if (staged !== undefined) deadlines.push(Date.parse(staged.createdAt) + delayMs);
  else if (periodMs !== undefined) deadlines.push(Date.parse(current.publishedAt!) + periodMs);
  const published = plaintext.get(current.username);
  if (published === undefined) throw new Error(`no plaintext for the published ${role} credential`); // every path above sets it
  return {
    records: [...kept, current, ...(staged === undefined ? [] : [staged])],
    credentials: { published, ...(staged === undefined ? {} : { staged: plaintext.get(staged.username)! }) },
    events,
    deadlines,
  };
}

function newRecord(role: Role, now: Date, published: boolean): { record: IdentityRecord; credential: Credential } {
  const credential = { username: `${role}-${randomBytes(4).toString('hex')}`, password: generatePassword() };
  const record: IdentityRecord = {
    username: credential.username,
    role,
    passwordHash: hashPassword(credential.password),
    createdAt: now.toISOString(),
    ...(published ? { publishedAt: now.toISOString() } : {}),
  };
  return { record, credential };
}

function byCreation(a: IdentityRecord, b: IdentityRecord): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt);
}
