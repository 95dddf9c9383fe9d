import { auditedRequests, type AuditEvent } from '../../test/support/audit-log.ts';

/**
 * One identity's write requests in a time window, from the control plane's audit log (which
 * records writes only, at Metadata level, with the user that sent each).
 */
export interface WriteTally {
  /** Writes other than Lease writes and reviews: what the benchmark compares. Events included. */
  total: number;
  /** Lease writes (leader election), left out of `total`. */
  leases: number;
  /**
   * Creates of access and token reviews (the operator's start-up RBAC checks), left out of
   * `total`: a POST that the apiserver answers and stores nothing for.
   */
  reviews: number;
  /** Event writes, part of `total`. */
  events: number;
  /** Requests in `total` answered with a status of 300 or more (conflicts, invalid, ...). */
  failed: number;
  /** `total` by "verb resource[/subresource]", most first. */
  byRequest: [string, number][];
  /** Per "verb resource[/subresource]": objects that got it more than once, and the most any one got. */
  repeated: { request: string; objects: number; most: number }[];
  /** The requests in `total`, for listing a few. */
  requests: AuditEvent[];
}

const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** SelfSubjectAccessReview, SubjectAccessReview, TokenReview, ...: answered, never stored. */
function isReview(event: AuditEvent): boolean {
  return event.verb === 'create' && /reviews$/.test(event.objectRef?.resource ?? '');
}

function requestKind(event: AuditEvent): string {
  const ref = event.objectRef ?? {};
  return `${event.verb} ${ref.resource ?? '?'}${ref.subresource ? `/${ref.subresource}` : ''}`;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

export async function tallyWrites(auditLogFile: string, username: string, window: { from: number; to: number }): Promise<WriteTally> {
  const writes = (await auditedRequests(auditLogFile, username, window)).filter((event) => writeVerbs.has(event.verb));
  const leases = writes.filter((event) => event.objectRef?.resource === 'leases');
  const reviews = writes.filter((event) => isReview(event));
  const requests = writes.filter((event) => event.objectRef?.resource !== 'leases' && !isReview(event));
  const perObject = countBy(requests, (e) => `${requestKind(e)}\t${e.objectRef?.namespace ?? ''}/${e.objectRef?.name ?? ''}`);
  const repeated = new Map<string, { request: string; objects: number; most: number }>();
  for (const [key, count] of perObject) {
    if (count < 2) continue;
    const request = key.slice(0, key.indexOf('\t'));
    const entry = repeated.get(request) ?? { request, objects: 0, most: 0 };
    entry.objects += 1;
    entry.most = Math.max(entry.most, count);
    repeated.set(request, entry);
  }
  return {
    total: requests.length,
    leases: leases.length,
    reviews: reviews.length,
    events: requests.filter((event) => event.objectRef?.resource === 'events').length,
    failed: requests.filter((event) => (event.responseStatus?.code ?? 0) >= 300).length,
    byRequest: [...countBy(requests, requestKind)].sort((a, b) => b[1] - a[1]),
    repeated: [...repeated.values()].sort((a, b) => b.objects - a.objects),
    requests,
  };
}
