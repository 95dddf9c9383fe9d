import type { V1DaemonSet, V1ResourceRequirements, V1SecurityContext } from '@kubernetes/client-node';
import type { Registry } from '../../../api/v1alpha1/registry.ts';
import { childNames, containerNames } from '../../common/registry-children.ts';
import { frontPortName } from '../../../registry-auth/pod-contract.ts';
import { serviceAddress, type EndpointOptions } from '../../common/registry-endpoints.ts';
import { childLabels, childMetadata, type ChildObject, components, registryIdentity, selectorLabels } from './metadata.ts';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../common/pod-security.ts';

/** The node's loopback: the only address the proxy binds, so nothing off the node reaches it. */
const nodeLoopback = '127.0.0.1';

/**
 * A TCP forwarder needs little beyond Node itself: measured 61 MiB idle. Under load V8 lets the
 * heap grow toward its cap (75% of the limit, the image's NODE_OPTIONS) before collecting: with
 * 8 clients pulling 1 MiB blobs (bench/registry-load) it peaked at 122 MiB under a 128Mi limit
 * and at 144 MiB under 192Mi, never at the limit. Every pull on the node goes through this one
 * process, so the limit keeps room for bursts beyond the bench's; the request is what it holds idle.
 */
export const nodeProxyResources: V1ResourceRequirements = {
  requests: { cpu: '5m', memory: '64Mi' },
  limits: { memory: '192Mi' },
};

/**
 * The nodeAccess DaemonSet, or undefined without nodeAccess: on every node, `dockyard node-proxy`
 * listens on 127.0.0.1:hostPort and forwards each TCP connection to the registry Service, so
 * kubelets pull `localhost:PORT/repo:tag`. Container runtimes speak plain HTTP to localhost
 * without configuration (containerd picks http, with a TLS fallback, for localhost on any port
 * but 443), which is what makes the address usable from nodes that cannot resolve cluster DNS.
 *
 * Why hostNetwork rather than a hostPort with hostIP 127.0.0.1: a hostPort is the CNI portmap
 * plugin's DNAT, and DNAT of loopback traffic needs route_localnet and a CNI that chains portmap;
 * many (Cilium without portmap, several cloud CNIs) do not, and IPv4 loopback DNAT is the weakest
 * part of portmap. In the host's network namespace the proxy simply binds the node's loopback,
 * on any CNI. The price, and how it is paid:
 * - the Pod resolves names through the node unless told otherwise: dnsPolicy
 *   ClusterFirstWithHostNet keeps cluster DNS, so the proxy can resolve the Service's name;
 * - it shares the node's ports: binding 127.0.0.1 only keeps the port off the network; the
 *   declared hostPort (with hostIP) lets the scheduler refuse a node where another Pod holds it;
 * - Pod Security "baseline" forbids hostNetwork, so the Registry's namespace must allow it
 *   ("privileged" level) for nodeAccess; there is no CNI-independent alternative that it allows.
 */
export function nodeProxyDaemonSet(registry: Registry, inputs: { operatorImage: string }, options: EndpointOptions = {}): ChildObject<V1DaemonSet> | undefined {
  const nodeAccess = registry.spec.nodeAccess;
  if (nodeAccess === undefined) return undefined;
  const { hostPort } = nodeAccess;
  const upstream = serviceAddress(registry, options);
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: childMetadata(registry, { name: childNames(registryIdentity(registry).name).nodeProxy, component: components.nodeProxy }),
    spec: {
      selector: { matchLabels: selectorLabels(registry, components.nodeProxy) },
      template: {
        metadata: { labels: childLabels(registry, components.nodeProxy) },
        spec: {
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          // Every node may pull, so the proxy must run on every node, tainted or not.
          tolerations: [{ operator: 'Exists' }],
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(),
          containers: [
            {
              name: containerNames.nodeProxy,
              image: inputs.operatorImage,
              args: ['node-proxy', `--listen=${nodeLoopback}:${hostPort}`, `--upstream=${upstream.host}:${upstream.port}`],
              ports: [{ name: frontPortName, containerPort: hostPort, hostPort, hostIP: nodeLoopback, protocol: 'TCP' }],
              // The kubelet shares the host network, so it reaches the proxy on the node's loopback.
              // The proxy opens the upstream connection only once a client sends data, so this
              // probe (connect, then close) checks the listener without touching the registry.
              readinessProbe: { tcpSocket: { host: nodeLoopback, port: hostPort }, periodSeconds: 10, timeoutSeconds: 2 },
              resources: nodeProxyResources,
              securityContext: nodeProxySecurityContext(hostPort),
            },
          ],
        },
      },
    },
  };
}

/**
 * Restricted, except below port 1024: binding a privileged port needs NET_BIND_SERVICE, and
 * Kubernetes grants added capabilities to root only (kubernetes/kubernetes#56374: a non-root
 * user gets them in the bounding set, never the effective one). So such a proxy runs as root
 * with NET_BIND_SERVICE as its only capability, on a read-only root filesystem.
 */
function nodeProxySecurityContext(hostPort: number): V1SecurityContext {
  const restricted = restrictedContainerSecurityContext();
  if (hostPort >= 1024) return restricted;
  return { ...restricted, runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } };
}
