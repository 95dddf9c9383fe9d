import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Credential } from '../../registry-auth/credential-plan.ts';

export interface ProbeResult {
  reachable: boolean;
  /** A Degraded reason when it is not: Unreachable, Unauthorized or UnexpectedStatus. */
  reason: 'Reachable' | 'Unreachable' | 'Unauthorized' | 'UnexpectedStatus';
  message: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Checks a registry that runs elsewhere the way a client would: GET /v2/ and, when it answers
 * with a token challenge, fetch a token with the credentials and try again. The message quotes
 * the HTTP status that explains a failure, never the credentials.
 */
export async function probeExternalRegistry(url: string, credential: Credential | undefined, ca: string | undefined, timeoutMs = 5_000): Promise<ProbeResult> {
  const base = url.replace(/\/+$/, '');
  const basic = credential ? `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}` : undefined;
  try {
    let answer = await get(`${base}/v2/`, basic, ca, timeoutMs);
    const challenge = headerValue(answer.headers['www-authenticate']);
    if (answer.status === 401 && challenge?.toLowerCase().startsWith('bearer ')) {
      const tokenUrl = tokenUrlOf(challenge);
      if (tokenUrl !== undefined) {
        const tokenAnswer = await get(tokenUrl, basic, ca, timeoutMs);
        if (tokenAnswer.status !== 200) {
          return { reachable: false, reason: 'Unauthorized', message: `token service at ${new URL(tokenUrl).origin} answered HTTP ${tokenAnswer.status}` };
        }
        const token = (JSON.parse(tokenAnswer.body) as { token?: string; access_token?: string }) ?? {};
        answer = await get(`${base}/v2/`, `Bearer ${token.token ?? token.access_token ?? ''}`, ca, timeoutMs);
      }
    }
    if (answer.status === 200) return { reachable: true, reason: 'Reachable', message: `${base}/v2/ answered HTTP 200` };
    if (answer.status === 401 || answer.status === 403) {
      return {
        reachable: false,
        reason: 'Unauthorized',
        message: `${base}/v2/ answered HTTP ${answer.status}: ${credential ? 'the credentials were refused' : 'it needs credentials (spec.external.credentialsSecretRef)'}`,
      };
    }
    return { reachable: false, reason: 'UnexpectedStatus', message: `${base}/v2/ answered HTTP ${answer.status}` };
  } catch (error) {
    return { reachable: false, reason: 'Unreachable', message: `${base}/v2/ could not be reached: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The realm of a Bearer challenge with its service and scope parameters, as a URL to GET. */
export function tokenUrlOf(challenge: string): string | undefined {
  const parameters = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
  if (parameters['realm'] === undefined) return undefined;
  const url = new URL(parameters['realm']);
  if (parameters['service'] !== undefined) url.searchParams.set('service', parameters['service']);
  if (parameters['scope'] !== undefined) url.searchParams.set('scope', parameters['scope']);
  return url.toString();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function get(url: string, authorization: string | undefined, ca: string | undefined, timeoutMs: number): Promise<Answer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'GET', timeout: timeoutMs, headers: authorization ? { authorization } : {}, ...(ca ? { ca } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 64 * 1024) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
