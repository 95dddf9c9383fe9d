import type { X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isDigest, isRepositoryName, isTag } from '../../oci/reference.ts';
import type { IdentitiesDocument } from '../../registry-auth/identities.ts';
import { inventoryReadHeader } from '../../registry-auth/pod-contract.ts';
import { readOwnToken } from '../../registry-auth/token.ts';
import type { RecordEvent } from './record-book.ts';

/**
 * What a proxied manifest request means for the records, read from the request and distribution's
 * answer: a PUT answered 201 is a push, a GET or HEAD answered 200 a pull (of the digest the answer
 * names; by tag, of the tag too), a DELETE answered 202 removes the record. Everything else
 * (blobs, refusals, errors) changes nothing. Dockyard's own reads are not pulls (a retention run
 * reads every tag, and counting that would make every tag look pulled): the maintainer
 * identity's, and those that say so with inventoryReadHeader (`retention plan` with a person's
 * credentials).
 */
export interface ProxiedExchange {
  method: string | undefined;
  /** The request's path and query, as the client sent it. */
  url: string | undefined;
  status: number;
  /** The request's headers. */
  requestHeaders: IncomingHttpHeaders;
  /** distribution's answer's headers. */
  headers: IncomingHttpHeaders;
  authorization: string | undefined;
}

const manifestPath = /^\/v2\/(.+)\/manifests\/([^/]+)$/;

export function recordEventOf(exchange: ProxiedExchange, at: number, isMaintainer: (authorization: string | undefined) => boolean): RecordEvent | undefined {
  const path = (exchange.url ?? '').split('?')[0]!;
  const match = manifestPath.exec(path);
  if (match === null) return undefined;
  const repository = match[1]!;
  const reference = match[2]!;
  if (!isRepositoryName(repository)) return undefined;
  const byDigest = isDigest(reference);
  if (!byDigest && !isTag(reference)) return undefined;
  const answered = firstValue(exchange.headers['docker-content-digest']);
  const digest = byDigest ? reference : answered !== undefined && isDigest(answered) ? answered : undefined;
  const tag = byDigest ? undefined : reference;
  switch (exchange.method) {
    case 'PUT':
      if (exchange.status !== 201 || digest === undefined) return undefined;
      return { kind: 'push', repository, tag, digest, at };
    case 'GET':
    case 'HEAD':
      if (exchange.status !== 200 || digest === undefined || exchange.requestHeaders[inventoryReadHeader] !== undefined || isMaintainer(exchange.authorization))
        return undefined;
      return { kind: 'pull', repository, tag, digest, at };
    case 'DELETE':
      if (exchange.status !== 202) return undefined;
      return byDigest ? { kind: 'delete', repository, digest: reference, at } : { kind: 'delete', repository, tag: reference, at };
    default:
      return undefined;
  }
}

const maxRemembered = 1024;

/**
 * Whether an Authorization header carries a token of this door's signing key issued to a
 * maintainer. Tokens are reused for many requests, so the answer is remembered per token.
 */
export function maintainerCheck(certificate: X509Certificate, identities: () => IdentitiesDocument): (authorization: string | undefined) => boolean {
  const remembered = new Map<string, boolean>();
  return (authorization) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return false;
    const known = remembered.get(token);
    if (known !== undefined) return known;
    const subject = readOwnToken(certificate, token)?.sub;
    const maintainer =
      subject !== undefined && subject !== '' && identities().identities.some((record) => record.username === subject && record.role === 'maintainer');
    if (remembered.size >= maxRemembered) remembered.clear();
    remembered.set(token, maintainer);
    return maintainer;
  };
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
