import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream, startAuthServer, type Harness } from './harness.ts';

const workDir = mkdtempSync(join(tmpdir(), 'dockyard-tls-'));

/** A serving certificate for localhost, as cert-manager would put into a kubernetes.io/tls Secret. */
function servingCertificate(name: string): { certificate: Buffer; key: Buffer } {
  const certificateFile = join(workDir, `${name}.crt`);
  const keyFile = join(workDir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certificateFile,
    ],
    { stdio: 'ignore' },
  );
  return { certificate: readFileSync(certificateFile), key: readFileSync(keyFile) };
}

function getOverTls(port: number, ca: Buffer[]): Promise<{ status: number; challenge: string | undefined; peer: string }> {
  return new Promise((resolve, reject) => {
    // A new agent each time, so that every request makes a new TLS handshake.
    const outgoing = request(
      { host: '127.0.0.1', port, path: '/v2/', ca, servername: 'localhost', headers: { host: `localhost:${port}` }, agent: false },
      (response) => {
        const peer = (response.socket as TLSSocket).getPeerX509Certificate()?.subject ?? '';
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, challenge: response.headers['www-authenticate'], peer }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const upstream = new FakeUpstream();
let harness: Harness;
const first = servingCertificate('first');
const second = servingCertificate('second');

beforeAll(async () => {
  upstream.handler = (_request, response) =>
    response.writeHead(401, { 'www-authenticate': 'Bearer realm="http://dockyard-auth-server.invalid/auth/token",service="s"' }).end();
  harness = await startAuthServer(await upstream.start(), { tls: first });
});

afterAll(async () => {
  await harness?.server.close();
  await upstream.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('auth server with TLS', () => {
  it('serves HTTPS and points the realm at https', async () => {
    const reply = await getOverTls(harness.port, [first.certificate, second.certificate]);
    expect(reply.status).toBe(401);
    expect(reply.challenge).toBe(`Bearer realm="https://localhost:${harness.port}/auth/token",service="s"`);
    expect(reply.peer).toBe('CN=first');
  });

  it('serves a renewed certificate on new connections without a restart', async () => {
    harness.server.setTls(second);
    expect((await getOverTls(harness.port, [first.certificate, second.certificate])).peer).toBe('CN=second');
  });
});
