import { readFile } from 'node:fs/promises';

/** The fields of a kube-apiserver audit event (Metadata level) the tests read. */
export interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; subresource?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

/**
 * Completed requests by `username` received in [from, to), from an audit log whose policy logs
 * writes only (reads are level None), so every entry is a write.
 */
export async function auditedRequests(file: string, username: string, window: { from: number; to: number }): Promise<AuditEvent[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.includes(username))
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((event) => event.stage === 'ResponseComplete' && event.user.username === username)
    .filter((event) => {
      const at = Date.parse(event.requestReceivedTimestamp);
      return at >= window.from && at < window.to;
    });
}

/** "update coordination.k8s.io/leases ns/name" — short enough to read in an assertion diff. */
export function describeRequest(event: AuditEvent): string {
  const ref = event.objectRef ?? {};
  const resource = `${ref.apiGroup ? `${ref.apiGroup}/` : ''}${ref.resource ?? '?'}${ref.subresource ? `/${ref.subresource}` : ''}`;
  return `${event.verb} ${resource} ${ref.namespace ?? ''}/${ref.name ?? ''}`;
}
