import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isRepositoryName } from '../../oci/reference.ts';
import type { IdentitiesDocument } from '../../registry-auth/identities.ts';
import { pushRecordsPath } from '../../registry-auth/pod-contract.ts';
import { readOwnToken } from '../../registry-auth/token.ts';
import type { RecordJournal } from './journal.ts';
import type { PushRecord } from './record-book.ts';

/**
 * GET pushRecordsPath: the records, in pages, for the maintainer identity only (Dockyard's
 * retention runs and status). The token is the registry's own: a client asks the door's token
 * service for `registry:catalog:*`, which only the maintainer is granted, as for the catalog.
 * Pull and push credentials (fanned out to tenants) are refused: who pulled what is not theirs.
 *
 * Query: `n` records per page (1 to 10,000; 1,000 by default), `last` the key the previous page
 * ended at (from its `Link: <...>; rel="next"`, as distribution pages its catalog), `repository`
 * to list one repository's records only.
 */
export interface PushRecordsEndpointContext {
  journal: RecordJournal;
  certificate: X509Certificate;
  service: string;
  identities: () => IdentitiesDocument;
  now: () => Date;
  log: Logger;
  /** The token realm for this client, as the proxy writes it into challenges. */
  realm: (request: IncomingMessage) => string | undefined;
}

/** The page as it goes over the wire; times are RFC 3339. */
export interface PushRecordsPage {
  /** When recording began, and from when on every push and pull has a record (later once records were evicted). */
  startedAt: string;
  completeSince: string;
  records: { repository: string; tag?: string; digest: string; pushedAt?: string; pulledAt?: string }[];
}

const defaultPageSize = 1000;
const maxPageSize = 10_000;

export async function handlePushRecordsRequest(request: IncomingMessage, response: ServerResponse, context: PushRecordsEndpointContext): Promise<void> {
  if (request.method !== 'GET') {
    reply(response, 405, { allow: 'GET' }, { errors: [{ code: 'UNSUPPORTED', message: 'push records are read with GET', detail: null }] });
    return;
  }
  const access = authorize(request.headers.authorization, context);
  if (access !== 'maintainer') {
    if (access === 'refused') {
      reply(response, 403, {}, { errors: [{ code: 'DENIED', message: 'only the registry maintainer identity may read push records', detail: null }] });
      return;
    }
    const realm = context.realm(request);
    const challenge = `Bearer ${realm !== undefined ? `realm="${realm}",` : ''}service="${context.service}",scope="registry:catalog:*"`;
    reply(response, 401, { 'www-authenticate': challenge }, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] });
    return;
  }
  const query = new URL(request.url ?? '/', 'http://door.invalid').searchParams;
  const size = query.has('n') ? Number(query.get('n')) : defaultPageSize;
  const repository = query.get('repository') ?? undefined;
  if (!Number.isInteger(size) || size < 1 || size > maxPageSize) {
    reply(response, 400, {}, { errors: [{ code: 'PAGINATION_NUMBER_INVALID', message: `n must be an integer from 1 to ${maxPageSize}`, detail: null }] });
    return;
  }
  if (repository !== undefined && !isRepositoryName(repository)) {
    reply(response, 400, {}, { errors: [{ code: 'NAME_INVALID', message: 'repository is not a repository name', detail: null }] });
    return;
  }
  const last = query.get('last') ?? undefined;
  // A listing starts with what doors sharing the volume recorded since it was last read.
  if (last === undefined) await context.journal.refreshFromPeers();
  const book = context.journal.book;
  const page = book.page({ after: last, limit: size, repository });
  const body: PushRecordsPage = {
    startedAt: new Date(book.started).toISOString(),
    completeSince: new Date(book.recordsCompleteSince).toISOString(),
    records: page.records.map(wireRecord),
  };
  const headers: Record<string, string> = {};
  if (page.next !== undefined) {
    const next = new URLSearchParams({ n: String(size), last: page.next, ...(repository !== undefined ? { repository } : {}) });
    headers['link'] = `<${pushRecordsPath}?${next.toString()}>; rel="next"`;
  }
  reply(response, 200, headers, body);
}

type Access = 'maintainer' | 'refused' | 'unauthenticated';

/** A valid token of this door, for this service, granting the catalog, held by a maintainer. */
function authorize(authorization: string | undefined, context: PushRecordsEndpointContext): Access {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (token === undefined) return 'unauthenticated';
  const claims = readOwnToken(context.certificate, token);
  const now = context.now().getTime() / 1000;
  if (claims === undefined || claims.aud !== context.service || !(claims.exp > now) || !(claims.nbf <= now + 1)) return 'unauthenticated';
  const catalog = claims.access.some((access) => access.type === 'registry' && access.name === 'catalog' && access.actions.includes('*'));
  const maintainer = context.identities().identities.some((record) => record.username === claims.sub && record.role === 'maintainer');
  return catalog && maintainer ? 'maintainer' : 'refused';
}

function wireRecord(record: PushRecord): PushRecordsPage['records'][number] {
  return {
    repository: record.repository,
    ...(record.tag !== undefined ? { tag: record.tag } : {}),
    digest: record.digest,
    ...(record.pushedAt !== undefined ? { pushedAt: new Date(record.pushedAt).toISOString() } : {}),
    ...(record.pulledAt !== undefined ? { pulledAt: new Date(record.pulledAt).toISOString() } : {}),
  };
}

function reply(response: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  response.end(`${JSON.stringify(body)}\n`);
}
