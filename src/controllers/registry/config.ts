import { stringify } from 'yaml';
import type { RegistrySpec } from '../../api/v1alpha1/registry.ts';
import { childNames } from '../common/registry-children.ts';
import { authSecretKeys, paths, registryLoopbackPort, tokenIssuer, tokenPath, tokenService } from '../../registry-auth/pod-contract.ts';

/**
 * distribution's config.yml for a Registry, as a pure function of the spec. One file serves
 * distribution 2.8 and 3.x: every key below means the same to both, and a key only 3.x knows
 * (proxy.ttl, storage.s3.forcepathstyle) is ignored by 2.8, which decodes without strict field
 * checks and reads driver parameters by name. No secrets here: they come from env vars that
 * distribution merges over the file (registryEnvironment below).
 */

export interface RegistryConfigContext {
  namespace: string;
  name: string;
  /** Read-only maintenance, while garbage collection runs: no writes, no upload purging. */
  maintenance?: boolean;
  /**
   * Where distribution listens and finds its files: the Pod's layout unless given, for a test
   * that runs the registry on a free loopback port with its files in a temporary directory.
   */
  local?: { httpAddress: string; storageDirectory: string; tokenCertificateFile: string };
}

/**
 * The token realm in config.yml. Never seen by clients: the auth container rewrites every realm
 * to the scheme and host the client used. A reserved .invalid name makes a leak obvious.
 */
export const realmPlaceholder = `http://dockyard-auth-server.invalid${tokenPath}`;

export function renderRegistryConfig(spec: RegistrySpec, context: RegistryConfigContext): string {
  const local = context.local ?? {
    httpAddress: `127.0.0.1:${registryLoopbackPort}`,
    storageDirectory: paths.storage,
    tokenCertificateFile: paths.tokenCertificateFile,
  };
  const config = {
    version: 0.1,
    log: { level: 'info', formatter: 'json', fields: { namespace: context.namespace, registry: context.name } },
    storage: storageConfig(spec, local.storageDirectory, context.maintenance ?? false),
    http: { addr: local.httpAddress, headers: { 'X-Content-Type-Options': ['nosniff'] } },
    auth: {
      token: {
        realm: realmPlaceholder,
        service: tokenService(context.namespace, context.name),
        issuer: tokenIssuer,
        rootcertbundle: local.tokenCertificateFile,
      },
    },
    // A failing storage driver turns /v2/ into 503, which the auth container's /healthz reports.
    health: { storagedriver: { enabled: true, interval: '10s', threshold: 3 } },
    ...(spec.proxy ? { proxy: { remoteurl: spec.proxy.remoteURL, ...(spec.proxy.ttl ? { ttl: spec.proxy.ttl } : {}) } } : {}),
  };
  return stringify(config, { lineWidth: 0 });
}

function storageConfig(spec: RegistrySpec, storageDirectory: string, maintenance: boolean): Record<string, unknown> {
  const s3 = spec.storage?.s3;
  const driver = s3
    ? {
        s3: {
          bucket: s3.bucket,
          region: s3.region,
          ...(s3.endpoint ? { regionendpoint: s3.endpoint } : {}),
          // 3.x reads it; 2.8 has no such parameter and uses path style whenever regionendpoint is set.
          forcepathstyle: s3.forcePathStyle,
          ...(s3.rootDirectory ? { rootdirectory: s3.rootDirectory } : {}),
        },
        // Serve blobs through the registry instead of redirecting clients to the bucket, which
        // kubelets (outside cluster DNS) and pods (behind network policies) may not reach.
        redirect: { disable: true },
      }
    : { filesystem: { rootdirectory: storageDirectory } };
  return {
    ...driver,
    delete: { enabled: true },
    // No blob descriptor cache: garbage collection runs in another process, and an in-memory
    // cache would go on answering for the blobs it deleted, so a re-pushed layer is skipped by the
    // client and then missing (distribution#1803, #3743, #4569; measured on 3.0.0: the re-push
    // "succeeds" and the pull of that layer is cut off). Without it each blob lookup reads a
    // small link file from storage instead; see bench/blob-descriptor-cache.ts for the cost.
    maintenance: {
      // Purging deletes stale uploads, which is a write: off while the collector runs. When on,
      // both versions want every setting spelled out (they panic on a missing age).
      uploadpurging: maintenance ? { enabled: false } : { enabled: true, age: '168h', interval: '24h', dryrun: false },
      ...(maintenance ? { readonly: { enabled: true } } : {}),
    },
  };
}

/** An env var of the registry container, taken from a Secret key (`valueFrom.secretKeyRef`). */
export interface RegistryEnvVar {
  name: string;
  secretName: string;
  key: string;
}

/**
 * The registry container's env: the secret settings config.yml leaves out. distribution maps
 * REGISTRY_A_B_C onto a.b.c of its configuration (configuration/parser.go in 2.8 and 3.x).
 */
export function registryEnvironment(spec: RegistrySpec, context: { name: string; notifications: boolean }): RegistryEnvVar[] {
  const auth = childNames(context.name).auth;
  const env: RegistryEnvVar[] = [{ name: 'REGISTRY_HTTP_SECRET', secretName: auth, key: authSecretKeys.httpSecret }];
  const s3Credentials = spec.storage?.s3?.credentialsSecretRef.name;
  if (s3Credentials !== undefined) {
    env.push(
      { name: 'REGISTRY_STORAGE_S3_ACCESSKEY', secretName: s3Credentials, key: 'accessKeyID' },
      { name: 'REGISTRY_STORAGE_S3_SECRETKEY', secretName: s3Credentials, key: 'secretAccessKey' },
    );
  }
  const proxyCredentials = spec.proxy?.credentialsSecretRef?.name;
  if (proxyCredentials !== undefined) {
    env.push(
      { name: 'REGISTRY_PROXY_USERNAME', secretName: proxyCredentials, key: 'username' },
      { name: 'REGISTRY_PROXY_PASSWORD', secretName: proxyCredentials, key: 'password' },
    );
  }
  if (context.notifications) {
    // The whole list in one variable: 2.8 cannot set a field of one list element from env.
    env.push({ name: 'REGISTRY_NOTIFICATIONS_ENDPOINTS', secretName: auth, key: authSecretKeys.notificationEndpoints });
  }
  return env;
}

export interface NotificationEndpoint {
  /** Where distribution POSTs its events, such as the operator's notification receiver. */
  url: string;
  /** Sent as `Authorization: Bearer ...` with every event. */
  token: string;
}

/**
 * The value of REGISTRY_NOTIFICATIONS_ENDPOINTS, kept in the auth Secret. Mind that both 2.8 and
 * 3.0 log each endpoint's headers at info level when they start, so the token must authorise
 * nothing beyond posting this one registry's events.
 */
export function notificationEndpointsYaml(endpoint: NotificationEndpoint): string {
  return stringify(
    [
      {
        name: 'dockyard',
        url: endpoint.url,
        headers: { Authorization: [`Bearer ${endpoint.token}`] },
        timeout: '5s',
        threshold: 5,
        backoff: '10s',
      },
    ],
    { lineWidth: 0 },
  );
}
