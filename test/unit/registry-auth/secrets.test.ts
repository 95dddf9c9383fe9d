import { describe, expect, it } from 'vitest';
import { authSecretKeys, credentialSecretKeys } from '../../../src/registry-auth/pod-contract.ts';
import { authSecretData, ensureAuthMaterial, readAuthSecret } from '../../../src/registry-auth/auth-secret.ts';
import { credentialSecretData, dockerConfigJson, readCredentialSecret, stagedCredentialKeys } from '../../../src/registry-auth/credential-secret.ts';
import { planCredentials } from '../../../src/registry-auth/credential-plan.ts';
import { generateTokenSigningKey } from '../../../src/registry-auth/token-signing-key.ts';
import { decodeSecretData } from '../../support/secret-volume.ts';

const now = new Date('2026-03-01T00:00:00Z');
const pull = { username: 'pull-0a1b2c3d', password: 'p4ssw0rd-of-43-characters-xxxxxxxxxxxxxxxx' };

describe('credential Secrets', () => {
  it('hold the identity as username/password and as a docker config for every endpoint', () => {
    const endpoints = ['main-registry.team-a.svc:5000', 'main-registry.team-a.svc.cluster.local:5000', 'localhost:5000', 'registry.example.com'];
    const data = decodeSecretData(credentialSecretData({ published: pull }, endpoints));
    expect(data[credentialSecretKeys.username]).toBe(pull.username);
    expect(data[credentialSecretKeys.password]).toBe(pull.password);
    const config = JSON.parse(data[credentialSecretKeys.dockerConfig]!) as { auths: Record<string, { username: string; password: string; auth: string }> };
    expect(Object.keys(config.auths)).toEqual(endpoints);
    for (const entry of Object.values(config.auths)) {
      expect(entry).toEqual({ ...pull, auth: Buffer.from(`${pull.username}:${pull.password}`).toString('base64') });
    }
    expect(Object.keys(data)).not.toContain(stagedCredentialKeys.password);
  });

  it('keep a staged credential under separate keys and read both back', () => {
    const staged = { username: 'pull-99999999', password: 'n3w-p4ssw0rd' };
    const data = credentialSecretData({ published: pull, staged }, ['localhost:5000']);
    expect(decodeSecretData(data)[stagedCredentialKeys.username]).toBe(staged.username);
    expect(JSON.parse(decodeSecretData(data)[credentialSecretKeys.dockerConfig]!).auths['localhost:5000'].username).toBe(pull.username);
    expect(readCredentialSecret(data)).toEqual({ published: pull, staged });
    expect(readCredentialSecret(undefined)).toEqual({});
    expect(readCredentialSecret({ [credentialSecretKeys.username]: Buffer.from('x').toString('base64') })).toEqual({});
  });

  it.each(['https://registry.example.com', 'host/path', 'host:port', ''])('refuse the endpoint %j, which is not host[:port]', (endpoint) => {
    expect(() => dockerConfigJson([endpoint], pull)).toThrow('host or host:port');
  });
});

describe('auth Secret', () => {
  const signingKey = generateTokenSigningKey(now, 'main.team-a.dockyard.dev');
  const { identities } = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now });

  it('round-trips signing key, identities, http secret and write gate, with notification endpoints only when given', () => {
    const contents = { signingKey, identities, httpSecret: 'h'.repeat(43) };
    const data = authSecretData(contents);
    expect(Object.keys(data).sort()).toEqual(
      [authSecretKeys.httpSecret, authSecretKeys.identities, authSecretKeys.signingCertificate, authSecretKeys.signingKey, authSecretKeys.writeGate].sort(),
    );
    expect(readAuthSecret(data)).toEqual(contents);
    const writeGate = { id: 'gc-1', reason: 'garbage collection', since: '2026-12-01T04:00:00Z', until: '2026-12-01T04:30:00Z' };
    expect(readAuthSecret(authSecretData({ ...contents, writeGate }))).toEqual({ ...contents, writeGate });
    expect(decodeSecretData(authSecretData({ ...contents, notificationEndpoints: '- name: dockyard\n' }))[authSecretKeys.notificationEndpoints]).toBe(
      '- name: dockyard\n',
    );
  });

  it('reads broken parts as missing, so that they are made anew', () => {
    const other = generateTokenSigningKey(now, 'other');
    const data = authSecretData({ signingKey: { privateKey: signingKey.privateKey, certificate: other.certificate }, identities, httpSecret: 'short' });
    data[authSecretKeys.identities] = Buffer.from('{"version":2}').toString('base64');
    expect(readAuthSecret(data)).toEqual({});
    expect(readAuthSecret(undefined)).toEqual({});
  });

  it('keeps stored material and generates only what is missing', () => {
    const kept = ensureAuthMaterial({ signingKey, httpSecret: 'k'.repeat(43) }, now, 'x');
    expect(kept).toEqual({ signingKey, httpSecret: 'k'.repeat(43) });
    const fresh = ensureAuthMaterial({}, now, 'x');
    expect(fresh.signingKey.certificate).not.toBe(signingKey.certificate);
    expect(fresh.httpSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
