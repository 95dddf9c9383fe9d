import type { V1Container, V1DaemonSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodeProxyDaemonSet } from '../../../../src/controllers/registry/builders/node-proxy-daemon-set.ts';
import { containerNames } from '../../../../src/controllers/common/registry-children.ts';
import { registry, registryUid, sampleRegistry } from '../../../support/registries.ts';

const operatorImage = 'ghcr.io/dockyard/dockyard:0.1.0';

function proxyContainer(daemonSet: V1DaemonSet | undefined): V1Container {
  const container = daemonSet?.spec?.template.spec?.containers[0];
  if (container === undefined) throw new Error('no container');
  return container;
}

describe('nodeProxyDaemonSet', () => {
  const daemonSet = nodeProxyDaemonSet(sampleRegistry('registry-pvc.yaml'), { operatorImage });

  it('exists only with nodeAccess', () => {
    expect(daemonSet).toBeDefined();
    expect(nodeProxyDaemonSet(sampleRegistry('registry-s3.yaml'), { operatorImage })).toBeUndefined();
  });

  it('is named for the Registry, controlled by it, and selects only its own Pods', () => {
    expect(daemonSet?.metadata).toMatchObject({ name: 'main-registry-node-proxy', namespace: 'team-a' });
    expect(daemonSet?.metadata?.ownerReferences?.[0]).toMatchObject({ uid: registryUid, controller: true });
    expect(daemonSet?.spec?.selector.matchLabels).toEqual({ 'dockyard.dev/registry': 'main', 'app.kubernetes.io/component': 'node-proxy' });
  });

  it("runs `dockyard node-proxy` from the operator image, bound to the node's loopback and forwarding to the Service", () => {
    const container = proxyContainer(daemonSet);
    expect(container.name).toBe(containerNames.nodeProxy);
    expect(container.image).toBe(operatorImage);
    expect(container.args).toEqual(['node-proxy', '--listen=127.0.0.1:5000', '--upstream=main-registry.team-a.svc.cluster.local:5000']);
  });

  it('uses the host network with cluster DNS, so it binds the node loopback on any CNI and still resolves the Service', () => {
    expect(daemonSet?.spec?.template.spec).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
  });

  it('declares the host port on 127.0.0.1, so the scheduler keeps two proxies off the same port', () => {
    expect(proxyContainer(daemonSet).ports).toEqual([{ name: 'registry', containerPort: 5000, hostPort: 5000, hostIP: '127.0.0.1', protocol: 'TCP' }]);
  });

  it('tolerates every taint, so every node that may pull gets a proxy', () => {
    expect(daemonSet?.spec?.template.spec?.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('probes readiness on the loopback port, and asks for tiny resources', () => {
    const container = proxyContainer(daemonSet);
    expect(container.readinessProbe?.tcpSocket).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(container.resources?.requests).toEqual({ cpu: '5m', memory: '64Mi' });
  });

  it('runs non-root without any capability for a port at or above 1024', () => {
    expect(daemonSet?.spec?.template.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(proxyContainer(daemonSet).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('adds NET_BIND_SERVICE below 1024, as root, since Kubernetes gives added capabilities to root only', () => {
    const low = nodeProxyDaemonSet(registry({ storage: { emptyDir: {} }, nodeAccess: { hostPort: 80 } }), { operatorImage });
    expect(proxyContainer(low).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    });
  });

  it('forwards to the Service port of spec.service and a custom cluster domain', () => {
    const custom = nodeProxyDaemonSet(
      registry({ storage: { emptyDir: {} }, nodeAccess: { hostPort: 5001 }, service: { port: 8443 } }),
      { operatorImage },
      { clusterDomain: 'k8s.example' },
    );
    expect(proxyContainer(custom).args).toContain('--upstream=main-registry.team-a.svc.k8s.example:8443');
  });
});
