/** What a cluster admin decides for every Registry, through `dockyard operator` flags. */
export interface RegistryControllerOptions {
  /** The Dockyard image: the auth container and the node proxy run it. */
  operatorImage: string;
  /**
   * The tenancy rule for pull Secrets. A Registry places its pull Secret in its own namespace
   * always, and in other namespaces only when its namespace is listed here ('*': every
   * namespace). Only whoever configures the operator (a cluster admin) can grant it, so a tenant
   * cannot spread credentials, or Secrets at all, into namespaces that are not theirs.
   */
  pullSecretSources: ReadonlySet<string> | '*';
  /** The cluster's DNS domain, for the Service names in pull Secrets. */
  clusterDomain: string;
}

export function mayFanOutAcrossNamespaces(options: RegistryControllerOptions, namespace: string): boolean {
  return options.pullSecretSources === '*' || options.pullSecretSources.has(namespace);
}

/** Reads the --pull-secret-sources flag: a comma-separated list of namespaces, or '*'. */
export function parsePullSecretSources(value: string | undefined): ReadonlySet<string> | '*' {
  if (value === undefined || value.trim() === '') return new Set();
  if (value.trim() === '*') return '*';
  return new Set(
    value
      .split(',')
      .map((namespace) => namespace.trim())
      .filter(Boolean),
  );
}
