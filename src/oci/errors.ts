/**
 * What can go wrong talking to a registry, as types a caller can branch on. Messages name the
 * request (method and path), the HTTP status, distribution's error codes and what it means for
 * the user; never credentials or tokens, which this client keeps out of URLs and never quotes.
 */

/** What a request was, for messages. */
export interface RequestSummary {
  method: string;
  /** Path and query of the URL: the registry's address is the caller's to add. */
  path: string;
}

/** One entry of distribution's `{"errors": [...]}` body. */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
}

export class RegistryError extends Error {
  /** The class's own name (`NotFoundError`), for logs; the bundle keeps class names. */
  override readonly name: string;
  readonly request: RequestSummary;
  /** The HTTP status; undefined when no answer came. */
  readonly status: number | undefined;
  readonly errors: RegistryErrorEntry[];

  constructor(request: RequestSummary, status: number | undefined, errors: RegistryErrorEntry[], explanation: string, options?: ErrorOptions) {
    const codes = errors.map((entry) => entry.code).join(', ');
    const answer = status === undefined ? '' : ` answered HTTP ${status}${codes === '' ? '' : ` (${codes})`}`;
    super(`${request.method} ${request.path}${answer}: ${explanation}`, options);
    this.name = new.target.name;
    this.request = request;
    this.status = status;
    this.errors = errors;
  }

  hasCode(code: string): boolean {
    return this.errors.some((entry) => entry.code === code);
  }
}

/** 401 after authenticating as well as the registry's challenge allowed. */
export class UnauthorizedError extends RegistryError {}

/** 403: the credentials were accepted but may not do this. */
export class ForbiddenError extends RegistryError {}

/** 404: the repository, manifest, tag or blob does not exist (the codes say which). */
export class NotFoundError extends RegistryError {}

/** 405 UNSUPPORTED on a DELETE: the registry runs with `storage.delete.enabled: false`. */
export class DeletesDisabledError extends RegistryError {}

/** 405 without UNSUPPORTED: the method is not routed at all, which is distribution's maintenance read-only mode. */
export class ReadOnlyError extends RegistryError {}

/** 400 on a DELETE by tag: distribution 2.x deletes by digest only. */
export class DeleteByTagUnsupportedError extends RegistryError {}

/** Any other status, including 429 and 5xx still failing after every retry. */
export class UnexpectedStatusError extends RegistryError {}

/** No answer: refused, reset, timed out, name not resolved (after retries). */
export class UnreachableError extends RegistryError {
  /** What went wrong on the way: `connect ECONNREFUSED 10.0.0.1:5000`, `no answer within 5000 ms`. */
  readonly detail: string;

  constructor(request: RequestSummary, registry: string, detail: string, options?: ErrorOptions) {
    super(request, undefined, [], `${registry} could not be reached: ${detail}`, options);
    this.detail = detail;
  }
}

/** The answer came but cannot be what was asked for: unreadable JSON, a digest that does not match, too large. */
export class InvalidResponseError extends RegistryError {}

/** The token service of a Bearer challenge refused or failed: `request` is the token request, with the realm's path. */
export class TokenRequestError extends RegistryError {
  /** scheme://host[:port] of the token service. */
  readonly tokenService: string;

  constructor(
    tokenService: string,
    request: RequestSummary,
    status: number | undefined,
    errors: RegistryErrorEntry[],
    explanation: string,
    options?: ErrorOptions,
  ) {
    super(request, status, errors, explanation, options);
    this.tokenService = tokenService;
  }
}

/** Reads distribution's error body; anything else yields no entries. */
export function registryErrorEntries(body: Buffer | string): RegistryErrorEntry[] {
  try {
    const parsed = JSON.parse(body.toString()) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors.flatMap((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null || typeof (entry as { code?: unknown }).code !== 'string') return [];
      const { code, message } = entry as { code: string; message?: unknown };
      return [{ code, ...(typeof message === 'string' && message !== '' ? { message } : {}) }];
    });
  } catch {
    return [];
  }
}

export interface FailedAnswer {
  request: RequestSummary;
  status: number;
  body: Buffer;
  /** Whether the client had credentials to offer. */
  hadCredentials: boolean;
  /** A 401 whose Bearer challenge said `insufficient_scope`: the token lacked a permission. */
  insufficientScope?: boolean;
  /** For a DELETE: whether its reference was a tag. */
  deleteByTag?: boolean;
  /** Tries made, when more than one. */
  attempts?: number;
}

/** The typed error for a response that was not a success. */
export function errorForAnswer(answer: FailedAnswer): RegistryError {
  const { request, status } = answer;
  const errors = registryErrorEntries(answer.body);
  const said = errors.find((entry) => entry.message !== undefined)?.message;
  const registrySays = said === undefined ? '' : ` (the registry says: ${said})`;
  const action = request.method === 'DELETE' ? 'delete' : 'pull';
  switch (status) {
    case 401: {
      const explanation = answer.insufficientScope
        ? `the token service did not grant the permission to ${action} here`
        : answer.hadCredentials
          ? 'the registry refused the credentials'
          : 'the registry needs credentials';
      return new UnauthorizedError(request, status, errors, `${explanation}${registrySays}`);
    }
    case 403:
      return new ForbiddenError(request, status, errors, `the credentials are not allowed to ${action} here${registrySays}`);
    case 404:
      return new NotFoundError(request, status, errors, `not found${registrySays}`);
    case 405:
      if (errors.some((entry) => entry.code === 'UNSUPPORTED') && request.method === 'DELETE') {
        return new DeletesDisabledError(request, status, errors, 'deletes are disabled on this registry (distribution: storage.delete.enabled is false)');
      }
      if (errors.length === 0)
        return new ReadOnlyError(request, status, errors, 'the registry is read-only for maintenance (it routes no writes or deletes now)');
      return new UnexpectedStatusError(request, status, errors, `the registry does not allow ${request.method} here${registrySays}`);
    case 400:
      if (answer.deleteByTag) {
        return new DeleteByTagUnsupportedError(
          request,
          status,
          errors,
          'this registry deletes manifests by digest only (distribution 2.x): delete by digest instead',
        );
      }
      return new UnexpectedStatusError(request, status, errors, `the registry refused the request${registrySays}`);
    default: {
      const after = answer.attempts !== undefined && answer.attempts > 1 ? ` after ${answer.attempts} attempts` : '';
      const kind = status === 429 ? 'too many requests' : status >= 500 ? 'the registry failed' : 'unexpected answer';
      return new UnexpectedStatusError(request, status, errors, `${kind}${after}${registrySays}`);
    }
  }
}
