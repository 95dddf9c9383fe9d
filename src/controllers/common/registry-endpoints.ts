import type { Registry } from '../../api/v1alpha1/registry.ts';
import { childNames } from './registry-children.ts';
import { frontPort } from '../../registry-auth/pod-contract.ts';

/** Kubernetes' default; clusters set another with the kubelet's --cluster-domain. */
const defaultClusterDomain = 'cluster.local';

export interface EndpointOptions {
  clusterDomain?: string;
}

/** Where a registry is reached, as status reports it and as the pull Secret lists it. */
export interface RegistryEndpoints {
  /** What clients in the cluster push to and pull from, such as main-registry.team-a.svc:5000. */
  endpoint: string;
  /** What kubelets pull from with nodeAccess, such as localhost:5000. */
  nodeEndpoint?: string;
  /**
   * Every host[:port] the registry answers at, each one a key of the pull Secret's `auths`:
   * kubelets and container runtimes look credentials up by the exact host and port of the image
   * reference, so a name missing here is a pull without credentials.
   */
  hosts: string[];
}

/** The Service's port (the schema defaults it, but a Registry built in code may lack it). */
export function servicePort(registry: Registry): number {
  return registry.spec.service?.port ?? frontPort;
}

/** The Service's names as clients address it: `<svc>.<ns>.svc` and its fully qualified form. */
function serviceHostNames(registry: Registry, options: EndpointOptions): { name: string; namespaced: string; short: string; full: string } {
  const { name, namespace } = registry.metadata;
  if (!name || !namespace) throw new Error('a Registry needs metadata.name and metadata.namespace (use the object as read from the API)');
  const service = childNames(name).workload;
  const short = `${service}.${namespace}.svc`;
  return { name: service, namespaced: `${service}.${namespace}`, short, full: `${short}.${options.clusterDomain ?? defaultClusterDomain}` };
}

/**
 * The DNS names of the registry's Service, shortest first: what a certificate must cover for
 * clients in the cluster to verify it, whichever form of the name they use.
 */
export function serviceDnsNames(registry: Registry, options: EndpointOptions = {}): string[] {
  const names = serviceHostNames(registry, options);
  return [names.name, names.namespaced, names.short, names.full];
}

/** The Service's fully qualified name and port: where the node proxy forwards to. */
export function serviceAddress(registry: Registry, options: EndpointOptions = {}): { host: string; port: number } {
  return { host: serviceHostNames(registry, options).full, port: servicePort(registry) };
}

/**
 * The registry's endpoints. For a registry Dockyard runs: the Service as `<svc>.<ns>.svc` (the
 * endpoint) and its fully qualified name, each with the port; `localhost:PORT` with nodeAccess;
 * the ingress host. For an external one: the host of its URL.
 */
export function endpoints(registry: Registry, options: EndpointOptions = {}): RegistryEndpoints {
  const external = registry.spec.external;
  if (external !== undefined) {
    // URL.host keeps a non-default port and drops a default one, as image references do.
    const host = new URL(external.url).host;
    return { endpoint: host, hosts: [host] };
  }
  const port = servicePort(registry);
  const { short, full } = serviceHostNames(registry, options);
  const serviceHosts = [`${short}:${port}`, `${full}:${port}`];
  // An image reference without a port means 443, and credentials are looked up without one.
  if (registry.spec.tls !== undefined && port === 443) serviceHosts.push(short, full);
  const nodeEndpoint = registry.spec.nodeAccess ? `localhost:${registry.spec.nodeAccess.hostPort}` : undefined;
  const ingressHost = registry.spec.ingress?.host;
  return {
    endpoint: `${short}:${port}`,
    ...(nodeEndpoint !== undefined ? { nodeEndpoint } : {}),
    hosts: [...serviceHosts, ...(nodeEndpoint !== undefined ? [nodeEndpoint] : []), ...(ingressHost !== undefined ? [ingressHost] : [])],
  };
}
