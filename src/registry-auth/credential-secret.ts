import { credentialSecretKeys } from './pod-contract.ts';
import { secretText } from '../runtime/secret-data.ts';
import type { Credential, PlannedCredentials, RoleCredentials } from './credential-plan.ts';

/**
 * The push, pull and maintainer Secrets: one identity each, as `username`/`password` (for CI and
 * Dockyard's jobs) and as `.dockerconfigjson` for every endpoint the registry is reachable at
 * (for kubelets and docker). All three are of type kubernetes.io/dockerconfigjson.
 *
 * During a rotation the Secret also holds the staged credential under `staged-*` keys: the
 * operator needs its plaintext to publish it later, and whoever can read this Secret is meant to
 * get it then anyway. Fan-out copies only need `.dockerconfigjson`.
 */

export const credentialSecretType = 'kubernetes.io/dockerconfigjson';

/** Where the staged credential waits; internal to the operator, read back by readCredentialSecret(). */
export const stagedCredentialKeys = { username: 'staged-username', password: 'staged-password' } as const;

/**
 * The Secret's `data` (base64 values). `endpoints` are the host[:port] names clients use for the
 * registry: Service DNS names, `localhost:PORT` with nodeAccess, the ingress host.
 */
export function credentialSecretData(credentials: PlannedCredentials, endpoints: readonly string[]): Record<string, string> {
  const { published, staged } = credentials;
  const data: Record<string, string> = {
    [credentialSecretKeys.username]: published.username,
    [credentialSecretKeys.password]: published.password,
    [credentialSecretKeys.dockerConfig]: dockerConfigJson(endpoints, published),
  };
  if (staged !== undefined) {
    data[stagedCredentialKeys.username] = staged.username;
    data[stagedCredentialKeys.password] = staged.password;
  }
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]));
}

/** The plaintext a live Secret holds, for planCredentials()'s `known`. */
export function readCredentialSecret(data: Readonly<Record<string, string>> | undefined): RoleCredentials {
  const text = (key: string) => secretText(data, key);
  const pair = (usernameKey: string, passwordKey: string): Credential | undefined => {
    const username = text(usernameKey);
    const password = text(passwordKey);
    return username === undefined || password === undefined ? undefined : { username, password };
  };
  const published = pair(credentialSecretKeys.username, credentialSecretKeys.password);
  const staged = pair(stagedCredentialKeys.username, stagedCredentialKeys.password);
  return { ...(published ? { published } : {}), ...(staged ? { staged } : {}) };
}

/** A docker config (`{"auths": {...}}`) with one credential for each endpoint, in the order given, duplicates dropped. */
export function dockerConfigJson(endpoints: readonly string[], credential: Credential): string {
  const auth = Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64');
  const auths: Record<string, { username: string; password: string; auth: string }> = {};
  for (const endpoint of endpoints) {
    if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(endpoint)) throw new Error(`registry endpoint must be host or host:port, got ${JSON.stringify(endpoint)}`);
    auths[endpoint] = { username: credential.username, password: credential.password, auth };
  }
  return JSON.stringify({ auths });
}
