/**
 * Thrown by a reconcile for an error that retrying cannot fix (an invalid spec, a reference to
 * something that must be created by a human). The controller logs and counts it and does not
 * retry; the next change to the object triggers a fresh reconcile.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/**
 * Whether `error`, or any error in its `cause` chain, is a TerminalError: a reconcile that wraps
 * a terminal failure to add context ("applying the claim: ...") must not turn it into a retry.
 */
export function isTerminal(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current); current = current.cause) {
    if (current instanceof TerminalError) return true;
    seen.add(current);
  }
  return false;
}

/**
 * The apiserver refused an object the operator applied (422: validation, an immutable field, a
 * claim shrunk): the desired object itself is wrong, so sending it again cannot help until the
 * spec behind it changes. Terminal for the runtime; a controller catches it to say in the
 * status which field of its own spec is at fault.
 */
export class ApplyRejectedError extends TerminalError {
  readonly kind: string;
  readonly objectName: string;
  /** The apiserver's causes: the field of the child object and what is wrong with it. */
  readonly causes: ReadonlyArray<{ field: string; message: string }>;

  constructor(kind: string, objectName: string, rejection: KubeApiError) {
    const causes = (rejection.status?.details?.causes ?? [])
      .filter((cause) => cause.message !== undefined)
      .map((cause) => ({ field: cause.field ?? '', message: cause.message! }));
    const detail = causes.length > 0 ? causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message)).join('; ') : rejection.message;
    super(`the apiserver refused ${kind} ${objectName}: ${detail}`, { cause: rejection });
    this.name = 'ApplyRejectedError';
    this.kind = kind;
    this.objectName = objectName;
    this.causes = causes;
  }
}

/** The apiserver's `Status` body of a failed request, as far as the runtime reads it. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: Array<{ message?: string; field?: string }> };
}

/**
 * A request the apiserver answered with a non-2xx status. `code` carries the HTTP status, the
 * same property client-node's ApiException has, so one predicate serves errors from both.
 */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  readonly status: ApiStatus | undefined;

  constructor(method: string, path: string, code: number, status: ApiStatus | undefined) {
    super(`${method} ${path} failed with ${code}${status?.reason ? ` ${status.reason}` : ''}: ${status?.message ?? 'no message'}`);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = status?.reason;
    this.status = status;
  }
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return codeOf(error) === 404;
}

/**
 * The result of `request`, or undefined when the apiserver answers 404: for reads of objects that
 * may not exist, and deletes and patches of objects that may already be gone.
 */
export async function unlessNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * 422 Unprocessable Entity: the apiserver refused the object itself (validation), not the
 * request. A JSON Patch whose `test` fails gets it too, with no cause named: someone changed the
 * object since it was read.
 */
export function isInvalid(error: unknown): error is KubeApiError {
  return isApiError(error) && error.code === 422;
}

export function isConflict(error: unknown): boolean {
  return codeOf(error) === 409;
}

/** 410 Gone: a resourceVersion or continue token older than etcd's compaction window. */
export function isGone(error: unknown): boolean {
  return codeOf(error) === 410;
}

/** The apiserver answered; the request itself was refused (as opposed to "could not connect"). */
export function isApiError(error: unknown): error is KubeApiError {
  return error instanceof KubeApiError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
