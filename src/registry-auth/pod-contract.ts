/**
 * The contract of a registry Pod, owned by the side that serves it: what `dockyard auth-server`
 * listens on and answers, where the Pod mounts its files, and the keys of the Secrets the Pod and
 * Dockyard's jobs read. The Registry controller's builders write objects that honour it; the auth
 * server, the token service and the jobs read it from here, so none of them imports a controller.
 *
 * Inside the Pod, distribution listens on loopback only; the `auth` container, running
 * `dockyard auth-server`, is the Pod's only door. It answers token requests at /auth/token and
 * proxies everything else to distribution, rewriting the token realm in each 401 to the scheme
 * and host the client used. That is what lets one registry be reached as a Service DNS name, as
 * localhost:PORT through the node proxy (where kubelets cannot resolve cluster DNS), and as an
 * ingress host: distribution's own realm is one fixed URL, which no single value could serve.
 */

/** The port clients reach: the auth container's. */
export const frontPort = 5000;
/** distribution's own port, bound to 127.0.0.1 inside the Pod. */
export const registryLoopbackPort = 5001;
export const frontPortName = 'registry';

export const paths = {
  /** The config Secret's mount in the registry container; config.yml inside. */
  configDir: '/etc/dockyard/registry',
  configFile: '/etc/dockyard/registry/config.yml',
  /** The auth Secret's mount in the auth container. */
  authDir: '/etc/dockyard/auth',
  /** The token signing certificate alone, mounted into the registry container (rootcertbundle). */
  tokenCertificateDir: '/etc/dockyard/token',
  tokenCertificateFile: '/etc/dockyard/token/token-signing.crt',
  /** TLS certificate and key, when spec.tls is set; the auth container terminates TLS. */
  tlsDir: '/etc/dockyard/tls',
  storage: '/var/lib/registry',
  /**
   * The door's push and pull records (auth-server/push-records/), inside the storage volume, which
   * the auth container mounts where the registry container does: beside distribution's `docker/`
   * tree (its garbage collection walks only that), written by the same user, lasting as long as
   * the images. On s3 there is no such volume: an emptyDir of the auth container's takes its place.
   */
  pushRecords: '/var/lib/registry/dockyard/push-records',
  /** readOnlyRootFilesystem leaves distribution and Node nowhere else to write scratch files. */
  tmp: '/tmp',
} as const;

/** Keys of the auth Secret. */
export const authSecretKeys = {
  signingKey: 'token-signing.key',
  signingCertificate: 'token-signing.crt',
  /** JSON: the identities the token service accepts, with hashed passwords and scopes. */
  identities: 'identities.json',
  /** distribution's http.secret (env REGISTRY_HTTP_SECRET): replicas must share it, or uploads break across them. */
  httpSecret: 'registry-http-secret',
  /** YAML of notifications.endpoints (env REGISTRY_NOTIFICATIONS_ENDPOINTS), which carries a bearer token. */
  notificationEndpoints: 'notification-endpoints.yaml',
  /** JSON: the write gate (registry-auth/write-gate.ts); absent or `"gate": null` means pushes are open. */
  writeGate: 'write-gate.json',
} as const;

/** Keys of the push, pull and maintainer Secrets. */
export const credentialSecretKeys = { username: 'username', password: 'password', dockerConfig: '.dockerconfigjson' } as const;

/** The path the token service answers on, behind the same host and port as the registry. */
export const tokenPath = '/auth/token';
/**
 * A request header by which Dockyard's own readers (`retention run` and `plan`, whatever
 * credentials they hold) say that their manifest reads are an inventory, not pulls. A client can
 * only hide its own pulls with it.
 */
export const inventoryReadHeader = 'dockyard-inventory-read';
/** The maintainer's listing of push and pull records on the door; not a distribution path, so never proxied. */
export const pushRecordsPath = '/dockyard/v1/push-records';
/** The auth container's readiness: 200 once it and distribution behind it answer. */
export const healthPath = '/healthz';
/** The auth container's liveness: 200 while it serves at all, whatever distribution does. */
export const livenessPath = '/livez';
/**
 * The auth container's write-gate report (JSON, registry-auth/write-gate.ts WriteGateReport): the
 * gate it enforces and the writes still running, which the operator reads before collecting.
 */
export const writeGatePath = '/dockyard/write-gate';
/** The `service` claim distribution checks in every token. */
export function tokenService(namespace: string, registryName: string): string {
  return `${registryName}.${namespace}.dockyard.dev`;
}
export const tokenIssuer = 'dockyard-auth-server';
