import { parseArgs } from 'node:util';
import { parseDurationFlag } from '../api/v1alpha1/duration.ts';
import { frontPort, pushRecordsPath, registryLoopbackPort, tokenIssuer } from '../registry-auth/pod-contract.ts';

/**
 * The flags of `dockyard auth-server`, in one place for both sides: the Deployment builder
 * writes them (authServerArgs) and the command reads them (parseAuthServerArgs), so the two
 * cannot drift.
 */
export interface AuthServerOptions {
  /** host:port to listen on; `:5000` for all interfaces. */
  listen: string;
  /** Base URL of distribution, such as http://127.0.0.1:5001. */
  upstream: string;
  identitiesFile: string;
  signingKeyFile: string;
  signingCertificateFile: string;
  /** The registry's `service` (auth.token.service in config.yml). */
  service: string;
  issuer: string;
  /** Lifetime of issued tokens, as a Go duration. */
  tokenLifetime: string;
  anonymousPull: boolean;
  /** Serve HTTPS with these PEM files, re-read when they change (cert-manager renewals). */
  tls?: { certificateFile: string; keyFile: string };
  /** The write gate file (registry-auth/write-gate.ts); a missing file means no gate. Without the flag, writes are never gated. */
  writeGateFile?: string;
  /** How often to look for changed identities and TLS files, as a Go duration. */
  reloadInterval: string;
  /** Record pushes and pulls in this directory and serve them to the maintainer; off when absent. */
  recordsDir?: string;
  /** This door's name among those sharing recordsDir (default: the host name, which is the Pod's name). */
  recordsInstance?: string;
  /** How often recorded events are appended to the journal, as a Go duration. */
  recordsFlushInterval: string;
  logLevel?: string;
}

export const authServerUsage = `dockyard auth-server --identities FILE --signing-key FILE --signing-certificate FILE --service NAME [flags]
      Run a registry's token service and front door: issue tokens at /auth/token, proxy the rest to distribution.
      --listen HOST:PORT               where to listen (default :${frontPort})
      --upstream URL                   distribution behind it (default http://127.0.0.1:${registryLoopbackPort})
      --issuer NAME                    iss of issued tokens (default ${tokenIssuer})
      --token-lifetime DURATION        lifetime of issued tokens (default 5m)
      --anonymous-pull                 issue pull tokens without credentials
      --tls-cert FILE --tls-key FILE   serve HTTPS
      --write-gate FILE                refuse pushes and deletes while this file holds a gate
      --reload-interval DURATION       how often to re-read identities and TLS files (default 2s)
      --records-dir DIR                record pushes and pulls there, served to the maintainer at ${pushRecordsPath}
      --records-instance NAME          this door's name among doors sharing --records-dir (default: the host name)
      --records-flush-interval DURATION  how often records are appended to disk (default 5s)
      --log-level LEVEL                trace, debug, info, warn, error (default info)`;

export const authServerDefaults = {
  listen: `:${frontPort}`,
  upstream: `http://127.0.0.1:${registryLoopbackPort}`,
  issuer: tokenIssuer,
  tokenLifetime: '5m',
  reloadInterval: '2s',
  recordsFlushInterval: '5s',
} as const;

/** The container's args, starting with the subcommand. */
export function authServerArgs(options: AuthServerOptions): string[] {
  return [
    'auth-server',
    `--listen=${options.listen}`,
    `--upstream=${options.upstream}`,
    `--identities=${options.identitiesFile}`,
    `--signing-key=${options.signingKeyFile}`,
    `--signing-certificate=${options.signingCertificateFile}`,
    `--service=${options.service}`,
    `--issuer=${options.issuer}`,
    `--token-lifetime=${options.tokenLifetime}`,
    `--reload-interval=${options.reloadInterval}`,
    ...(options.anonymousPull ? ['--anonymous-pull'] : []),
    ...(options.recordsDir !== undefined ? [`--records-dir=${options.recordsDir}`, `--records-flush-interval=${options.recordsFlushInterval}`] : []),
    ...(options.recordsInstance !== undefined ? [`--records-instance=${options.recordsInstance}`] : []),
    ...(options.tls ? [`--tls-cert=${options.tls.certificateFile}`, `--tls-key=${options.tls.keyFile}`] : []),
    ...(options.writeGateFile ? [`--write-gate=${options.writeGateFile}`] : []),
    ...(options.logLevel ? [`--log-level=${options.logLevel}`] : []),
  ];
}

/** Parses the flags after `auth-server`; throws with a message that names the flag at fault. */
export function parseAuthServerArgs(args: string[]): AuthServerOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      listen: { type: 'string', default: authServerDefaults.listen },
      upstream: { type: 'string', default: authServerDefaults.upstream },
      identities: { type: 'string' },
      'signing-key': { type: 'string' },
      'signing-certificate': { type: 'string' },
      service: { type: 'string' },
      issuer: { type: 'string', default: authServerDefaults.issuer },
      'token-lifetime': { type: 'string', default: authServerDefaults.tokenLifetime },
      'anonymous-pull': { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'write-gate': { type: 'string' },
      'reload-interval': { type: 'string', default: authServerDefaults.reloadInterval },
      'records-dir': { type: 'string' },
      'records-instance': { type: 'string' },
      'records-flush-interval': { type: 'string', default: authServerDefaults.recordsFlushInterval },
      'log-level': { type: 'string' },
    },
  });
  const required = (flag: 'identities' | 'signing-key' | 'signing-certificate' | 'service'): string => {
    const value = values[flag];
    if (value === undefined || value === '') throw new Error(`--${flag} is required`);
    return value;
  };
  for (const flag of ['token-lifetime', 'reload-interval', 'records-flush-interval'] as const) parseDurationFlag(flag, values[flag]);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new Error('--tls-cert and --tls-key go together');
  try {
    new URL(values.upstream);
  } catch {
    throw new Error(`--upstream must be a URL, got ${JSON.stringify(values.upstream)}`);
  }
  return {
    listen: values.listen,
    upstream: values.upstream,
    identitiesFile: required('identities'),
    signingKeyFile: required('signing-key'),
    signingCertificateFile: required('signing-certificate'),
    service: required('service'),
    issuer: values.issuer,
    tokenLifetime: values['token-lifetime'],
    anonymousPull: values['anonymous-pull'],
    ...(values['tls-cert'] && values['tls-key'] ? { tls: { certificateFile: values['tls-cert'], keyFile: values['tls-key'] } } : {}),
    ...(values['write-gate'] ? { writeGateFile: values['write-gate'] } : {}),
    reloadInterval: values['reload-interval'],
    ...(values['records-dir'] ? { recordsDir: values['records-dir'] } : {}),
    ...(values['records-instance'] ? { recordsInstance: values['records-instance'] } : {}),
    recordsFlushInterval: values['records-flush-interval'],
    ...(values['log-level'] ? { logLevel: values['log-level'] } : {}),
  };
}
