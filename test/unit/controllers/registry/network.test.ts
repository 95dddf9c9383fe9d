import { describe, expect, it } from 'vitest';
import { registryCertificate } from '../../../../src/controllers/registry/builders/certificate.ts';
import { registryIngress } from '../../../../src/controllers/registry/builders/ingress.ts';
import { registryService } from '../../../../src/controllers/registry/builders/service.ts';
import { frontPortName } from '../../../../src/registry-auth/pod-contract.ts';
import { registry, registryUid, sampleRegistry } from '../../../support/registries.ts';

const emptyDir = { storage: { emptyDir: {} } };

describe('registryService', () => {
  it('is a ClusterIP Service on 5000 that targets the auth port by name and selects only registry Pods', () => {
    const service = registryService(sampleRegistry('registry-pvc.yaml'));
    expect(service.metadata).toMatchObject({ name: 'main-registry', namespace: 'team-a' });
    expect(service.metadata?.ownerReferences?.[0]).toMatchObject({ uid: registryUid, controller: true });
    expect(service.metadata).not.toHaveProperty('annotations');
    expect(service.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'dockyard.dev/registry': 'main', 'app.kubernetes.io/component': 'registry' },
      ports: [{ name: frontPortName, protocol: 'TCP', port: 5000, targetPort: frontPortName }],
    });
  });

  it('takes type, port, nodePort and annotations from spec.service', () => {
    const service = registryService(
      registry({ ...emptyDir, service: { type: 'LoadBalancer', port: 443, nodePort: 30443, annotations: { 'lb.example.com/internal': 'true' } } }),
    );
    expect(service.metadata?.annotations).toEqual({ 'lb.example.com/internal': 'true' });
    expect(service.spec?.type).toBe('LoadBalancer');
    expect(service.spec?.ports).toEqual([{ name: frontPortName, protocol: 'TCP', port: 443, targetPort: frontPortName, nodePort: 30443 }]);
  });

  it('leaves nodePort out when not given, so Kubernetes allocates it and no apply fights over it', () => {
    const service = registryService(registry({ ...emptyDir, service: { type: 'NodePort' } }));
    expect(service.spec?.ports?.[0]).not.toHaveProperty('nodePort');
  });
});

describe('registryIngress', () => {
  it('routes the whole host to the Service port by name, with class, TLS Secret and the user annotations', () => {
    const ingress = registryIngress(sampleRegistry('registry-s3.yaml'));
    expect(ingress?.metadata).toMatchObject({
      name: 'shared-registry',
      namespace: 'team-a',
      annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '0' },
    });
    expect(ingress?.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['registry.team-a.example.com'], secretName: 'registry-team-a-tls' }],
      rules: [
        {
          host: 'registry.team-a.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shared-registry', port: { name: frontPortName } } } }] },
        },
      ],
    });
  });

  it('serves plain HTTP with the default class when neither is given, and is absent without spec.ingress', () => {
    const ingress = registryIngress(registry({ ...emptyDir, ingress: { host: 'registry.example.com' } }));
    expect(ingress?.spec).not.toHaveProperty('tls');
    expect(ingress?.spec).not.toHaveProperty('ingressClassName');
    expect(registryIngress(sampleRegistry('registry-pvc.yaml'))).toBeUndefined();
  });
});

describe('registryCertificate', () => {
  it('asks the issuer for every Service name and the ingress host, into the Secret the Deployment mounts', () => {
    const certificate = registryCertificate(sampleRegistry('registry-s3.yaml'));
    expect(certificate).toMatchObject({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'shared-registry-tls', namespace: 'team-a' },
    });
    expect(certificate?.metadata.ownerReferences?.[0]).toMatchObject({ uid: registryUid, controller: true });
    expect(certificate?.spec).toEqual({
      secretName: 'shared-registry-tls',
      dnsNames: [
        'shared-registry',
        'shared-registry.team-a',
        'shared-registry.team-a.svc',
        'shared-registry.team-a.svc.cluster.local',
        'registry.team-a.example.com',
      ],
      issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
  });

  it('follows a custom cluster domain, and is absent with a user TLS Secret or no TLS', () => {
    const certificate = registryCertificate(registry({ ...emptyDir, tls: { issuerRef: { name: 'ca' } } }), { clusterDomain: 'k8s.example' });
    expect(certificate?.spec.dnsNames.at(-1)).toBe('main-registry.team-a.svc.k8s.example');
    expect(certificate?.spec.issuerRef).toEqual({ name: 'ca', kind: 'Issuer', group: 'cert-manager.io' });
    expect(registryCertificate(registry({ ...emptyDir, tls: { secretName: 'mine' } }))).toBeUndefined();
    expect(registryCertificate(registry(emptyDir))).toBeUndefined();
  });
});
