import { readFileSync, statSync } from 'node:fs';

/** What a request was for, told from its method and path (distribution's /v2/ API). */
export type RequestCategory =
  | 'ping'
  | 'catalog'
  | 'tags'
  | 'manifest HEAD'
  | 'manifest GET'
  | 'manifest PUT'
  | 'manifest DELETE'
  | 'blob GET'
  | 'blob HEAD'
  | 'blob upload'
  | 'referrers'
  | 'other';

export type RequestCounts = Partial<Record<RequestCategory, number>> & { total: number };

function categoryOf(method: string, path: string): RequestCategory {
  const plain = path.split('?')[0]!;
  if (plain === '/v2/' || plain === '/v2') return 'ping';
  if (plain === '/v2/_catalog') return 'catalog';
  if (plain.endsWith('/tags/list')) return 'tags';
  if (plain.includes('/blobs/uploads')) return 'blob upload';
  if (plain.includes('/referrers/')) return 'referrers';
  if (plain.includes('/manifests/') && ['HEAD', 'GET', 'PUT', 'DELETE'].includes(method)) return `manifest ${method}` as RequestCategory;
  if (plain.includes('/blobs/') && (method === 'GET' || method === 'HEAD')) return `blob ${method}` as RequestCategory;
  return 'other';
}

/**
 * Counts the requests a registry served, from its access log (combined log format, one line per
 * request, written by distribution 2.8 and 3.x alike when `log.accesslog.disabled` is false):
 * the count is taken at the registry, so it includes every retry and every request a tool makes
 * that its own figures might leave out. `mark()` then `since(mark)` counts one contender's run.
 */
export class AccessLog {
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  mark(): number {
    return statSync(this.file).size;
  }

  since(offset: number): RequestCounts {
    const text = readFileSync(this.file).subarray(offset).toString('utf8');
    const counts: RequestCounts = { total: 0 };
    for (const match of text.matchAll(/"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP\/[\d.]+"/g)) {
      const category = categoryOf(match[1]!, match[2]!);
      counts[category] = (counts[category] ?? 0) + 1;
      counts.total += 1;
    }
    return counts;
  }
}
