import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RegistrySpec } from '../../../../src/api/v1alpha1/registry.ts';
import { notificationEndpointsYaml, realmPlaceholder, registryEnvironment, renderRegistryConfig } from '../../../../src/controllers/registry/config.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests walk parsed YAML by path and compare with toEqual
type ParsedConfig = Record<string, any>;

const spec = (input: Record<string, unknown>) => RegistrySpec.parse(input);
const render = (input: Record<string, unknown>, maintenance = false) =>
  parse(renderRegistryConfig(spec(input), { namespace: 'team-a', name: 'main', maintenance })) as ParsedConfig;
const pvc = { storage: { persistentVolumeClaim: { size: '20Gi' } } };
const s3 = {
  storage: {
    s3: {
      bucket: 'images',
      region: 'eu-central-1',
      endpoint: 'http://minio.storage.svc:9000',
      rootDirectory: '/registry',
      forcePathStyle: true,
      credentialsSecretRef: { name: 'minio-creds' },
    },
  },
};

describe('renderRegistryConfig', () => {
  it('serves on the Pod loopback with token auth against the signing certificate', () => {
    const config = render(pvc);
    expect(config['version']).toBe(0.1);
    expect(config['http'].addr).toBe('127.0.0.1:5001');
    expect(config['auth']).toEqual({
      token: {
        realm: realmPlaceholder,
        service: 'main.team-a.dockyard.dev',
        issuer: 'dockyard-auth-server',
        rootcertbundle: '/etc/dockyard/token/token-signing.crt',
      },
    });
    expect(config['health'].storagedriver.enabled).toBe(true);
    expect(config['proxy']).toBeUndefined();
  });

  it('keeps images on the filesystem for a claim or an emptyDir, with deletes on', () => {
    for (const storage of [pvc, { storage: { emptyDir: {} } }]) {
      const config = render(storage);
      expect(config['storage'].filesystem).toEqual({ rootdirectory: '/var/lib/registry' });
      expect(config['storage'].delete).toEqual({ enabled: true });
      expect(config['storage'].maintenance).toEqual({ uploadpurging: { enabled: true, age: '168h', interval: '24h', dryrun: false } });
      expect(config['storage'].s3).toBeUndefined();
    }
  });

  it('configures s3 without credentials, and serves blobs itself instead of redirecting to the bucket', () => {
    const config = render(s3);
    expect(config['storage'].s3).toEqual({
      bucket: 'images',
      region: 'eu-central-1',
      regionendpoint: 'http://minio.storage.svc:9000',
      forcepathstyle: true,
      rootdirectory: '/registry',
    });
    expect(config['storage'].redirect).toEqual({ disable: true });
    expect(config['storage'].filesystem).toBeUndefined();
    expect(JSON.stringify(config)).not.toMatch(/accesskey|secretkey|minio-creds/i);
  });

  it('goes read-only and stops purging uploads in maintenance', () => {
    expect(render(pvc, true)['storage'].maintenance).toEqual({ readonly: { enabled: true }, uploadpurging: { enabled: false } });
  });

  it('runs as a pull-through cache with a ttl when asked, without the remote credentials', () => {
    expect(render({ ...pvc, proxy: { remoteURL: 'https://registry-1.docker.io', ttl: '168h', credentialsSecretRef: { name: 'hub' } } })['proxy']).toEqual({
      remoteurl: 'https://registry-1.docker.io',
      ttl: '168h',
    });
    expect(render({ ...pvc, proxy: { remoteURL: 'https://ghcr.io' } })['proxy']).toEqual({ remoteurl: 'https://ghcr.io' });
  });

  it('places files and the listen address elsewhere for a local run', () => {
    const text = renderRegistryConfig(spec(pvc), {
      namespace: 'team-a',
      name: 'main',
      local: { httpAddress: '127.0.0.1:40000', storageDirectory: '/tmp/x/storage', tokenCertificateFile: '/tmp/x/token.crt' },
    });
    const config = parse(text) as ParsedConfig;
    expect(config['http'].addr).toBe('127.0.0.1:40000');
    expect(config['storage'].filesystem.rootdirectory).toBe('/tmp/x/storage');
    expect(config['auth'].token.rootcertbundle).toBe('/tmp/x/token.crt');
  });
});

describe('registryEnvironment', () => {
  it('always shares the http secret from the auth Secret', () => {
    expect(registryEnvironment(spec(pvc), { name: 'main', notifications: false })).toEqual([
      { name: 'REGISTRY_HTTP_SECRET', secretName: 'main-registry-auth', key: 'registry-http-secret' },
    ]);
  });

  it('takes s3 keys, remote credentials and notification endpoints from their Secrets', () => {
    const env = registryEnvironment(spec({ ...s3, proxy: { remoteURL: 'https://ghcr.io', credentialsSecretRef: { name: 'ghcr' } } }), {
      name: 'main',
      notifications: true,
    });
    expect(env.slice(1)).toEqual([
      { name: 'REGISTRY_STORAGE_S3_ACCESSKEY', secretName: 'minio-creds', key: 'accessKeyID' },
      { name: 'REGISTRY_STORAGE_S3_SECRETKEY', secretName: 'minio-creds', key: 'secretAccessKey' },
      { name: 'REGISTRY_PROXY_USERNAME', secretName: 'ghcr', key: 'username' },
      { name: 'REGISTRY_PROXY_PASSWORD', secretName: 'ghcr', key: 'password' },
      { name: 'REGISTRY_NOTIFICATIONS_ENDPOINTS', secretName: 'main-registry-auth', key: 'notification-endpoints.yaml' },
    ]);
  });
});

describe('notificationEndpointsYaml', () => {
  it('is a one-endpoint list with the bearer token as a header', () => {
    expect(parse(notificationEndpointsYaml({ url: 'http://dockyard.dockyard-system.svc:8082/events', token: 't0k3n' }))).toEqual([
      {
        name: 'dockyard',
        url: 'http://dockyard.dockyard-system.svc:8082/events',
        headers: { Authorization: ['Bearer t0k3n'] },
        timeout: '5s',
        threshold: 5,
        backoff: '10s',
      },
    ]);
  });
});
