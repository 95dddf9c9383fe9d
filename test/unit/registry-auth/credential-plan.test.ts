import { describe, expect, it } from 'vitest';
import { defaultPropagationDelayMs, planCredentials, type CredentialPlan, type CredentialPlanInput } from '../../../src/registry-auth/credential-plan.ts';
import { credentialSecretData, readCredentialSecret } from '../../../src/registry-auth/credential-secret.ts';
import { authenticate, roles, type Role } from '../../../src/registry-auth/identities.ts';

const start = new Date('2026-03-01T00:00:00.000Z');
const hour = 3_600_000;
const at = (offsetMs: number) => new Date(start.getTime() + offsetMs);
const rotation = { period: '720h', overlap: '24h' };
const endpoints = ['main-registry.team-a.svc:5000'];

/**
 * One reconcile as the operator runs it: read what the Secrets hold, plan, and "write" the
 * result, here by keeping it for the next call (the credential Secrets go through their real
 * data encoding, so the plan sees exactly what it would read back).
 */
function reconcile(previous: CredentialPlan | undefined, now: Date, overrides: Partial<CredentialPlanInput> = {}): CredentialPlan {
  const known = Object.fromEntries(
    roles.map((role) => [role, previous ? readCredentialSecret(credentialSecretData(previous.credentials[role], endpoints)) : {}]),
  );
  return planCredentials({ identities: previous?.identities, known, rotation, rotationRequest: undefined, now, ...overrides });
}

const canLogIn = (plan: CredentialPlan, credential: { username: string; password: string }, now: Date) =>
  authenticate(plan.identities, credential.username, credential.password, now) !== undefined;
const changes = (plan: CredentialPlan, role: Role = 'pull') => plan.events.filter((event) => event.role === role).map((event) => event.change);

describe('planCredentials', () => {
  it('creates one published identity per role at first, each able to log in with its role', () => {
    const plan = reconcile(undefined, start);
    expect(plan.events.map((event) => `${event.role}:${event.change}`)).toEqual(['pull:created', 'push:created', 'maintainer:created']);
    for (const role of roles) {
      const credential = plan.credentials[role].published;
      expect(credential.username).toMatch(new RegExp(`^${role}-[0-9a-f]{8}$`));
      expect(authenticate(plan.identities, credential.username, credential.password, start)?.role).toBe(role);
      expect(plan.credentials[role].staged).toBeUndefined();
    }
    expect(JSON.stringify(plan.identities)).not.toContain(plan.credentials.pull.published.password);
    expect(plan.nextReviewAt).toEqual(at(720 * hour));
  });

  it('changes nothing when called again before a deadline', () => {
    const first = reconcile(undefined, start);
    const again = reconcile(first, at(hour));
    expect(again.events).toEqual([]);
    expect(again.identities).toEqual(first.identities);
    expect(again.credentials).toEqual(first.credentials);
  });

  it('rotates on its period: stages, publishes after the propagation delay, drops the old one after the overlap', () => {
    const created = reconcile(undefined, start);
    const old = created.credentials.pull.published;

    const staged = reconcile(created, at(720 * hour));
    expect(changes(staged)).toEqual(['staged']);
    const next = staged.credentials.pull.staged!;
    expect(staged.credentials.pull.published).toEqual(old); // still handed out
    expect(canLogIn(staged, next, at(720 * hour))).toBe(true); // but already accepted
    expect(staged.nextReviewAt).toEqual(at(720 * hour + defaultPropagationDelayMs));

    const waiting = reconcile(staged, at(720 * hour + defaultPropagationDelayMs - 1));
    expect(waiting.events).toEqual([]);

    const publishedAt = 720 * hour + defaultPropagationDelayMs;
    const published = reconcile(staged, at(publishedAt));
    expect(changes(published)).toEqual(['published']);
    expect(published.credentials.pull).toEqual({ published: next });
    expect(canLogIn(published, old, at(publishedAt + 24 * hour - 1))).toBe(true);
    expect(canLogIn(published, old, at(publishedAt + 24 * hour))).toBe(false);
    expect(published.nextReviewAt).toEqual(at(publishedAt + 24 * hour));

    const expired = reconcile(published, at(publishedAt + 24 * hour));
    expect(expired.events.filter((event) => event.change === 'expired').map((event) => event.username)).toContain(old.username);
    expect(expired.identities.identities.map((record) => record.username)).not.toContain(old.username);
    expect(canLogIn(expired, next, at(publishedAt + 24 * hour))).toBe(true);
    expect(expired.nextReviewAt).toEqual(at(publishedAt + 720 * hour));
  });

  it('rotates every role once per new value of the rotation request, and remembers the value it handled', () => {
    const created = reconcile(undefined, start, { rotation: undefined });
    expect(created.nextReviewAt).toBeUndefined(); // nothing scheduled without rotation settings

    const requested = reconcile(created, at(hour), { rotation: undefined, rotationRequest: '2026-03-01T01:00:00Z' });
    expect(requested.events.map((event) => event.change)).toEqual(['staged', 'staged', 'staged']);
    expect(requested.identities.handledRotationRequest).toBe('2026-03-01T01:00:00Z');

    const published = reconcile(requested, at(hour + defaultPropagationDelayMs), { rotation: undefined, rotationRequest: '2026-03-01T01:00:00Z' });
    expect(published.events.map((event) => event.change)).toEqual(['published', 'published', 'published']);
    // Without rotation settings, the old credential overlaps by the schema's default of 24h.
    const superseded = published.identities.identities.find((record) => record.username === created.credentials.push.published.username);
    expect(superseded?.expiresAt).toBe(at(hour + defaultPropagationDelayMs + 24 * hour).toISOString());

    const settled = reconcile(published, at(2 * hour), { rotation: undefined, rotationRequest: '2026-03-01T01:00:00Z' });
    expect(settled.events).toEqual([]);
  });

  it('publishes at once when the propagation delay is zero', () => {
    const created = reconcile(undefined, start);
    const rotated = reconcile(created, at(hour), { rotationRequest: 'now', propagationDelayMs: 0 });
    expect(changes(rotated)).toEqual(['staged', 'published']);
    expect(rotated.credentials.pull.published).not.toEqual(created.credentials.pull.published);
    expect(canLogIn(rotated, created.credentials.pull.published, at(hour))).toBe(true);
  });

  it('replaces a published credential whose Secret lost it, keeping the lost one valid for the overlap', () => {
    const created = reconcile(undefined, start);
    const lost = created.credentials.pull.published;
    const known = { push: { published: created.credentials.push.published }, maintainer: { published: created.credentials.maintainer.published } };
    const replaced = planCredentials({ identities: created.identities, known, rotation, rotationRequest: undefined, now: at(hour) });
    expect(changes(replaced)).toEqual(['replaced']);
    expect(changes(replaced, 'push')).toEqual([]);
    expect(replaced.credentials.pull.published.username).not.toBe(lost.username);
    expect(canLogIn(replaced, replaced.credentials.pull.published, at(hour))).toBe(true);
    expect(canLogIn(replaced, lost, at(hour + 24 * hour - 1))).toBe(true); // copies fanned out earlier keep working
  });

  it('drops a staged credential whose plaintext is gone and stages a new one', () => {
    const created = reconcile(undefined, start);
    const staged = reconcile(created, at(hour), { rotationRequest: 'one' });
    const forgotten = staged.credentials.pull.staged!;
    const known = {
      pull: { published: staged.credentials.pull.published },
      push: staged.credentials.push,
      maintainer: staged.credentials.maintainer,
    };
    const again = planCredentials({ identities: staged.identities, known, rotation, rotationRequest: 'two', now: at(2 * hour) });
    expect(changes(again)).toEqual(['staged']);
    expect(again.identities.identities.map((record) => record.username)).not.toContain(forgotten.username);
    expect(again.credentials.pull.staged!.username).not.toBe(forgotten.username);
  });

  it('repairs two published records (a crash between writes) by superseding the older one', () => {
    const created = reconcile(undefined, start);
    const rotated = reconcile(created, at(hour), { rotationRequest: 'r', propagationDelayMs: 0 });
    const broken = {
      ...rotated.identities,
      identities: rotated.identities.identities.map((record) => {
        const { expiresAt: _expiresAt, ...rest } = record;
        return rest;
      }),
    };
    const known = Object.fromEntries(roles.map((role) => [role, { published: rotated.credentials[role].published }]));
    const repaired = planCredentials({ identities: broken, known, rotation, rotationRequest: 'r', now: at(2 * hour) });
    const pullRecords = repaired.identities.identities.filter((record) => record.role === 'pull');
    expect(pullRecords.filter((record) => record.expiresAt === undefined).map((record) => record.username)).toEqual([
      rotated.credentials.pull.published.username,
    ]);
    expect(repaired.credentials.pull.published).toEqual(rotated.credentials.pull.published);
  });

  it('keeps at most three superseded credentials per role when rotations come faster than they expire', () => {
    let plan = reconcile(undefined, start);
    for (let index = 1; index <= 5; index++) plan = reconcile(plan, at(index * hour), { rotationRequest: `r${index}`, propagationDelayMs: 0 });
    const pullRecords = plan.identities.identities.filter((record) => record.role === 'pull');
    expect(pullRecords).toHaveLength(4);
    expect(pullRecords.filter((record) => record.expiresAt !== undefined)).toHaveLength(3);
  });
});
