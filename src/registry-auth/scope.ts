import { isRepositoryName } from '../oci/reference.ts';
import type { Role } from './identities.ts';

/**
 * What a token may do: the scopes a client asks for (`repository:apps/web:pull,push`), and the
 * pure decision of which of those actions an identity gets. The table below is the whole access
 * model of a registry Dockyard runs.
 */

/** One entry of a token's `access` claim, as distribution reads it. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface RequestedScope {
  type: string;
  name: string;
  actions: string[];
}

/** Who asks: an authenticated identity's role, or nobody. */
export type Requester = { role: Role } | { anonymous: true; anonymousPull: boolean };

/** Actions on `repository:NAME` per role. Pull credentials are fanned out, so they never push. */
const repositoryActions: Readonly<Record<Role, readonly string[]>> = {
  pull: ['pull'],
  push: ['pull', 'push'],
  maintainer: ['pull', 'push', 'delete'],
};

/** `registry:catalog:*` lists every repository: for Dockyard's own jobs, which walk them all. */
const catalogRoles: ReadonlySet<Role> = new Set(['maintainer']);

/**
 * Parses `scope` values. Each value holds one or more scopes separated by spaces (OAuth2 style,
 * as containerd sends them); Docker repeats the parameter instead. A scope is
 * `type:name:actions`, where the name may itself hold colons, so type is up to the first colon
 * and actions after the last. Malformed scopes are dropped: they can only ever be refused.
 */
export function parseScopes(values: readonly string[]): RequestedScope[] {
  const scopes: RequestedScope[] = [];
  for (const value of values) {
    for (const text of value.split(' ')) {
      const first = text.indexOf(':');
      const last = text.lastIndexOf(':');
      if (first <= 0 || last === first) continue;
      const actions = text
        .slice(last + 1)
        .split(',')
        .filter((action) => action !== '');
      scopes.push({ type: text.slice(0, first), name: text.slice(first + 1, last), actions });
    }
  }
  return scopes;
}

/** The grant for each requested scope: the requested actions the requester may perform (possibly none). */
export function grantScopes(requester: Requester, requested: readonly RequestedScope[]): Access[] {
  return requested.map((scope) => ({ type: scope.type, name: scope.name, actions: allowedActions(requester, scope) }));
}

function allowedActions(requester: Requester, scope: RequestedScope): string[] {
  if (scope.type === 'registry' && scope.name === 'catalog') {
    // distribution asks for the action "*" on the catalog; it is granted as such, and only here.
    return 'role' in requester && catalogRoles.has(requester.role) && scope.actions.includes('*') ? ['*'] : [];
  }
  if (scope.type !== 'repository' || !isRepositoryName(scope.name)) return [];
  const permitted = 'role' in requester ? repositoryActions[requester.role] : requester.anonymousPull ? ['pull'] : [];
  // "*" asks for everything: it becomes the permitted actions by name, never a "*" in a token.
  const wanted = scope.actions.includes('*') ? permitted : scope.actions;
  return permitted.filter((action) => wanted.includes(action));
}

/** `repository:apps/web:pull,push`, for logs and the OAuth2 `scope` reply. */
export function formatScope(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}
