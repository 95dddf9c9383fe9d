import type { z } from 'zod';

/** A zod issue path in the apiserver's notation: `spec.rules[0].tags`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : `${text === '' ? '' : '.'}${String(segment)}`;
  }
  return text;
}

/**
 * The fields an issue is about, in the apiserver's notation. zod reports unknown fields once for
 * their object; the apiserver names each field, so they are expanded here to compare alike.
 */
export function issueFieldPaths(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => fieldPath([...issue.path, key]));
  return [fieldPath(issue.path)];
}

/** Every issue of a failed parse as `field: message`, one per line, for logs and Events. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issueFieldPaths(issue).join(', ') || '<object>'}: ${issue.message}`).join('\n');
}
