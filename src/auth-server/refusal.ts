import type { X509Certificate } from 'node:crypto';
import type { IdentitiesDocument, Role } from '../registry-auth/identities.ts';
import { bearerChallenge } from '../oci/challenge.ts';
import { parseScopes, type Access } from '../registry-auth/scope.ts';
import { readOwnToken } from '../registry-auth/token.ts';

/**
 * Why distribution refused a request, in words a user can act on. A token lacking an action gets
 * distribution's `401 insufficient_scope` with the message "authentication required", which
 * sends a user whose credentials are fine looking for a typo in their password. The door knows
 * more: whose token it is (the token's subject, whose role the identities file gives) and what
 * the challenge asked for that the token lacks.
 */
export interface TokenHolder {
  /** The token's subject: a username, or '' for an anonymous token. */
  subject: string;
  /** The role of that username, when the identities file still lists it. */
  role: Role | undefined;
  access: readonly Access[];
}

/**
 * "the pull credentials of this registry cannot push to apps/web", for a challenge whose scope
 * asks for actions the token does not hold; undefined when the token holds them all (the refusal
 * is then distribution's own business).
 */
export function explainInsufficientScope(holder: TokenHolder, challengeScopes: readonly string[]): string | undefined {
  const missing = parseScopes(challengeScopes).flatMap((scope) => {
    const held = holder.access.filter((access) => access.type === scope.type && access.name === scope.name).flatMap((access) => access.actions);
    const lacking = scope.actions.filter((action) => !held.includes(action));
    if (lacking.length === 0) return [];
    // The catalog's only action is "*", which means listing it.
    const verbs = scope.type === 'registry' && scope.name === 'catalog' ? ['list'] : lacking;
    return [`${verbs.join(' or ')} ${target(scope.type, scope.name, lacking)}`];
  });
  if (missing.length === 0) return undefined;
  return `${who(holder)} cannot ${missing.join(', nor ')}`;
}

function who(holder: TokenHolder): string {
  if (holder.subject === '') return 'anonymous clients of this registry';
  if (holder.role !== undefined) return `the ${holder.role} credentials of this registry (${holder.subject})`;
  return `the credentials ${holder.subject}, which this registry no longer lists,`;
}

function target(type: string, name: string, actions: readonly string[]): string {
  if (type === 'registry' && name === 'catalog') return 'the catalog of repositories';
  if (type !== 'repository') return `${type} ${name}`;
  if (actions.includes('push')) return `to ${name}`;
  return `from ${name}`;
}

/**
 * distribution's error body with the first error's message replaced (its code and detail stay,
 * so clients that read them see what they always saw); undefined when the body is not one.
 */
export function rewriteErrorMessage(body: string, message: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { message?: string }[] };
    const first = parsed.errors?.[0];
    if (first === undefined || typeof first !== 'object') return undefined;
    first.message = message;
    return `${JSON.stringify(parsed)}\n`;
  } catch {
    return undefined;
  }
}

/** Explains a challenge to the request's `Authorization`, or says nothing (undefined). */
export type RefusalExplainer = (authorization: string | undefined, challenge: string) => string | undefined;

/** The explainer for tokens this service issued for `service`, signed with the key of `certificate`. */
export function refusalExplainer(options: { certificate: X509Certificate; service: string; identities: () => IdentitiesDocument }): RefusalExplainer {
  return (authorization, challenge) => {
    const parameters = bearerChallenge(challenge);
    if (parameters?.error !== 'insufficient_scope' || parameters.scopes.length === 0) return undefined;
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return undefined;
    const claims = readOwnToken(options.certificate, token);
    if (claims === undefined || claims.aud !== options.service) return undefined;
    const role = options.identities().identities.find((record) => record.username === claims.sub)?.role;
    return explainInsufficientScope({ subject: claims.sub, role, access: claims.access }, parameters.scopes);
  };
}
