import { describe, expect, it } from 'vitest';
import { RegistrySpec } from '../../../src/api/v1alpha1/registry.ts';
import { authServerArgs, parseAuthServerArgs, type AuthServerOptions } from '../../../src/auth-server/options.ts';
import { authServerOptionsFor } from '../../../src/controllers/registry/auth-server-options.ts';

const spec = (input: Record<string, unknown>) => RegistrySpec.parse({ storage: { emptyDir: {} }, ...input });

describe('auth server options', () => {
  it('point at the files where the Pod mounts the auth Secret, and at distribution on loopback', () => {
    expect(authServerOptionsFor(spec({}), 'team-a', 'main')).toEqual({
      listen: ':5000',
      upstream: 'http://127.0.0.1:5001',
      identitiesFile: '/etc/dockyard/auth/identities.json',
      signingKeyFile: '/etc/dockyard/auth/token-signing.key',
      signingCertificateFile: '/etc/dockyard/auth/token-signing.crt',
      writeGateFile: '/etc/dockyard/auth/write-gate.json',
      service: 'main.team-a.dockyard.dev',
      issuer: 'dockyard-auth-server',
      tokenLifetime: '5m',
      reloadInterval: '2s',
      anonymousPull: false,
      recordsDir: '/var/lib/registry/dockyard/push-records',
      recordsFlushInterval: '5s',
    });
  });

  it('follow spec.auth.anonymousPull and spec.tls', () => {
    const options = authServerOptionsFor(spec({ auth: { anonymousPull: true }, tls: { secretName: 'main-tls' } }), 'team-a', 'main');
    expect(options.anonymousPull).toBe(true);
    expect(options.tls).toEqual({ certificateFile: '/etc/dockyard/tls/tls.crt', keyFile: '/etc/dockyard/tls/tls.key' });
  });

  it('survive the trip through container args unchanged', () => {
    const cases: AuthServerOptions[] = [
      authServerOptionsFor(spec({}), 'team-a', 'main'),
      { ...authServerOptionsFor(spec({ auth: { anonymousPull: true }, tls: { secretName: 't' } }), 'ns', 'r'), logLevel: 'debug' },
    ];
    for (const options of cases) {
      const [command, ...flags] = authServerArgs(options);
      expect(command).toBe('auth-server');
      expect(parseAuthServerArgs(flags)).toEqual(options);
    }
  });

  it.each([
    [['--signing-key=k', '--signing-certificate=c', '--service=s'], '--identities is required'],
    [['--identities=i', '--signing-key=k', '--signing-certificate=c', '--service=s', '--tls-cert=c'], '--tls-cert and --tls-key go together'],
    [['--identities=i', '--signing-key=k', '--signing-certificate=c', '--service=s', '--token-lifetime=5'], '--token-lifetime'],
    [['--identities=i', '--signing-key=k', '--signing-certificate=c', '--service=s', '--reload-interval=0s'], '--reload-interval: must be longer than 0'],
    [['--identities=i', '--signing-key=k', '--signing-certificate=c', '--service=s', '--upstream=nope'], '--upstream must be a URL'],
    [['--identities=i', '--signing-key=k', '--signing-certificate=c', '--service=s', '--unknown'], "Unknown option '--unknown'"],
  ])('reject %j naming the flag at fault', (args, message) => {
    expect(() => parseAuthServerArgs(args)).toThrow(message);
  });
});
