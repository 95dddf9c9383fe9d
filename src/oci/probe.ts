import type { BasicCredentials } from './authorizer.ts';
import { RegistryClient } from './client.ts';
import { ForbiddenError, RegistryError, TokenRequestError, UnauthorizedError, UnreachableError } from './errors.ts';

export interface ProbeResult {
  reachable: boolean;
  /** A Degraded reason when it is not: Unreachable, Unauthorized or UnexpectedStatus. */
  reason: 'Reachable' | 'Unreachable' | 'Unauthorized' | 'UnexpectedStatus';
  message: string;
}

/**
 * Checks a registry that runs elsewhere the way a client would: GET /v2/, answering its Basic or
 * Bearer challenge with the credentials. One try, no retries: the caller checks again on its own
 * schedule. The message quotes the HTTP status that explains a failure, never the credentials.
 */
export async function probeExternalRegistry(
  url: string,
  credential: BasicCredentials | undefined,
  ca: string | undefined,
  timeoutMs = 5_000,
): Promise<ProbeResult> {
  const base = url.replace(/\/+$/, '');
  let client: RegistryClient;
  try {
    client = new RegistryClient({
      url: base,
      credentials: credential,
      ...(ca !== undefined ? { ca } : {}),
      timeoutMs,
      maxConcurrency: 1,
      retry: { maxAttempts: 1 },
    });
  } catch (error) {
    return { reachable: false, reason: 'Unreachable', message: `${base}/v2/ could not be reached: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    await client.ping();
    return { reachable: true, reason: 'Reachable', message: `${base}/v2/ answered HTTP 200` };
  } catch (error) {
    if (error instanceof TokenRequestError && error.status !== undefined) {
      return { reachable: false, reason: 'Unauthorized', message: `token service at ${error.tokenService} answered HTTP ${error.status}` };
    }
    if (error instanceof UnauthorizedError || error instanceof ForbiddenError) {
      return {
        reachable: false,
        reason: 'Unauthorized',
        message: `${base}/v2/ answered HTTP ${error.status}: ${credential ? 'the credentials were refused' : 'it needs credentials (spec.external.credentialsSecretRef)'}`,
      };
    }
    if (error instanceof RegistryError && error.status !== undefined) {
      return { reachable: false, reason: 'UnexpectedStatus', message: `${base}/v2/ answered HTTP ${error.status}` };
    }
    const detail = error instanceof UnreachableError ? error.detail : error instanceof Error ? error.message : String(error);
    return { reachable: false, reason: 'Unreachable', message: `${base}/v2/ could not be reached: ${detail}` };
  } finally {
    await client.close();
  }
}
