import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(error)}`);
  }
}

export interface KeyPair {
  certFile: string;
  keyFile: string;
}

/**
 * A throwaway certificate authority for one control plane. EC P-256 keys keep start-up fast;
 * certificates live two days, long enough for any test run and useless after it.
 */
export class CertificateAuthority {
  private readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;

  private constructor(dir: string, certFile: string, keyFile: string) {
    this.dir = dir;
    this.certFile = certFile;
    this.keyFile = keyFile;
  }

  static async create(dir: string, commonName = 'dockyard-test-ca'): Promise<CertificateAuthority> {
    const certFile = join(dir, 'ca.crt');
    const keyFile = join(dir, 'ca.key');
    await openssl([
      'req',
      '-x509',
      '-new',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return new CertificateAuthority(dir, certFile, keyFile);
  }

  /** A serving certificate for loopback endpoints. */
  issueServing(name: string, hosts: { dns: string[]; ips: string[] }): Promise<KeyPair> {
    const altNames = [...hosts.dns.map((d) => `DNS:${d}`), ...hosts.ips.map((ip) => `IP:${ip}`)];
    return this.issue(name, `/CN=${name}`, [`subjectAltName=${altNames.join(',')}`, 'extendedKeyUsage=serverAuth']);
  }

  /** A client certificate: Kubernetes reads the user from CN and the groups from O. */
  issueClient(user: string, groups: string[] = []): Promise<KeyPair> {
    const subject = `/CN=${escapeSubject(user)}${groups.map((g) => `/O=${escapeSubject(g)}`).join('')}`;
    return this.issue(`client-${fileSafe(user)}`, subject, ['extendedKeyUsage=clientAuth']);
  }

  private async issue(name: string, subject: string, extensions: string[]): Promise<KeyPair> {
    const keyFile = join(this.dir, `${name}.key`);
    const csrFile = join(this.dir, `${name}.csr`);
    const certFile = join(this.dir, `${name}.crt`);
    const extFile = join(this.dir, `${name}.ext`);
    await openssl([
      'req',
      '-new',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-keyout',
      keyFile,
      '-out',
      csrFile,
      '-subj',
      subject,
    ]);
    await writeFile(extFile, `${['keyUsage=critical,digitalSignature,keyEncipherment', ...extensions].join('\n')}\n`);
    await openssl([
      // A random serial per certificate: -CAcreateserial shares one ca.srl file, which parallel
      // issuing corrupts.
      'x509',
      '-req',
      '-in',
      csrFile,
      '-CA',
      this.certFile,
      '-CAkey',
      this.keyFile,
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-out',
      certFile,
      '-days',
      '2',
      '-extfile',
      extFile,
    ]);
    return { certFile, keyFile };
  }
}

/** The key pair kube-apiserver signs service-account tokens with. */
export async function createServiceAccountSigningKey(dir: string): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
  const privateKeyFile = join(dir, 'service-account.key');
  const publicKeyFile = join(dir, 'service-account.pub');
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', privateKeyFile]);
  await openssl(['pkey', '-in', privateKeyFile, '-pubout', '-out', publicKeyFile]);
  return { privateKeyFile, publicKeyFile };
}

function escapeSubject(value: string): string {
  return value.replace(/[/\\+,=]/g, (c) => `\\${c}`);
}

export function fileSafe(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_');
}
