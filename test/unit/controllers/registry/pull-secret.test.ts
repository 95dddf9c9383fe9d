import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../../../../src/controllers/common/registry-endpoints.ts';
import { sourceNamespaceLabel } from '../../../../src/controllers/registry/builders/metadata.ts';
import { pullSecretCopy, pullSecretName, pullSecretSelector } from '../../../../src/controllers/registry/builders/pull-secret.ts';
import { registryNameLabel } from '../../../../src/controllers/common/registry-children.ts';
import { registry, registryUid, sampleRegistry } from '../../../support/registries.ts';

const credential = { username: 'pull-7f3a', password: 'p4ss:w0rd/with+symbols' };

function decoded(secret: V1Secret | undefined, key: string): string {
  const value = secret?.data?.[key];
  if (value === undefined) throw new Error(`no key ${key}`);
  return Buffer.from(value, 'base64').toString('utf8');
}

describe('endpoints', () => {
  it('lists the Service names with the port, localhost with nodeAccess, for the DESIGN.md example', () => {
    expect(endpoints(sampleRegistry('registry-pvc.yaml'))).toEqual({
      endpoint: 'main-registry.team-a.svc:5000',
      nodeEndpoint: 'localhost:5000',
      hosts: ['main-registry.team-a.svc:5000', 'main-registry.team-a.svc.cluster.local:5000', 'localhost:5000'],
    });
  });

  it('adds the ingress host, and the port-less Service names when TLS is served on 443 (the port images omit)', () => {
    const result = endpoints(registry({ storage: { emptyDir: {} }, tls: { secretName: 'c' }, service: { port: 443 }, ingress: { host: 'r.example.com' } }));
    expect(result.nodeEndpoint).toBeUndefined();
    expect(result.hosts).toEqual([
      'main-registry.team-a.svc:443',
      'main-registry.team-a.svc.cluster.local:443',
      'main-registry.team-a.svc',
      'main-registry.team-a.svc.cluster.local',
      'r.example.com',
    ]);
  });

  it('uses the URL host of an external registry, with a non-default port kept', () => {
    expect(endpoints(sampleRegistry('registry-external.yaml'))).toEqual({ endpoint: 'registry.example.com', hosts: ['registry.example.com'] });
    expect(endpoints(registry({ external: { url: 'http://127.0.0.1:5000' } })).hosts).toEqual(['127.0.0.1:5000']);
  });
});

describe('pullSecretCopy', () => {
  const main = sampleRegistry('registry-pvc.yaml');
  const { hosts } = endpoints(main);
  const copy = pullSecretCopy(main, { namespace: 'team-a-staging', hosts, credential });

  it('is a kubernetes.io/dockerconfigjson Secret whose auths hold the credential for every host', () => {
    expect(copy?.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(decoded(copy, '.dockerconfigjson')) as { auths: Record<string, { username: string; password: string; auth: string }> };
    expect(Object.keys(config.auths)).toEqual(hosts);
    for (const entry of Object.values(config.auths)) {
      expect(entry).toEqual({ ...credential, auth: Buffer.from(`${credential.username}:${credential.password}`).toString('base64') });
    }
  });

  it('carries only .dockerconfigjson: no plain username or password, and never a staged credential', () => {
    expect(Object.keys(copy?.data ?? {})).toEqual(['.dockerconfigjson']);
  });

  it('is labelled with its source Registry and namespace, so the fan-out finds every copy by one selector', () => {
    expect(pullSecretSelector(main)).toEqual({ [registryNameLabel]: 'main', [sourceNamespaceLabel]: 'team-a' });
    expect(copy?.metadata?.labels).toMatchObject(pullSecretSelector(main));
  });

  it('has no ownerReference in another namespace, where none can point at the Registry', () => {
    expect(copy?.metadata).toMatchObject({ name: 'main-pull', namespace: 'team-a-staging' });
    expect(copy?.metadata?.ownerReferences).toBeUndefined();
  });

  it("is not made for the Registry's own namespace under the default name: the source Secret is already there", () => {
    expect(pullSecretCopy(main, { namespace: 'team-a', hosts, credential })).toBeUndefined();
  });

  it('is named spec.pullSecrets.secretName when given, and then also copied (owned) into its own namespace', () => {
    const named = registry({ storage: { emptyDir: {} }, pullSecrets: { secretName: 'registry-credentials' } });
    expect(pullSecretName(named)).toBe('registry-credentials');
    const own = pullSecretCopy(named, { namespace: 'team-a', hosts, credential });
    expect(own?.metadata?.name).toBe('registry-credentials');
    expect(own?.metadata?.ownerReferences).toEqual([expect.objectContaining({ uid: registryUid, controller: true })]);
  });

  it('writes data, never stringData, which the apiserver does not store (every apply would look like a change)', () => {
    expect(copy).not.toHaveProperty('stringData');
  });
});
