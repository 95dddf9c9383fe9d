import { describe, expect, it } from 'vitest';
import { configChecksumAnnotation } from '../../../../src/controllers/registry/builders/deployment.ts';
import type { RegistryControllerOptions } from '../../../../src/controllers/registry/options.ts';
import { desiredWorkload, envSecretNames, envSecretVersion } from '../../../../src/controllers/registry/workload.ts';
import type { KubeObject } from '../../../../src/runtime/resource.ts';
import { registry, sampleRegistry } from '../../../support/registries.ts';

const options: RegistryControllerOptions = { operatorImage: 'dockyard:test', pullSecretSources: new Set(), clusterDomain: 'cluster.local' };

function checksum(children: ReturnType<typeof desiredWorkload>): string | undefined {
  const deployment = children.find((child) => child.object.kind === 'Deployment')?.object as KubeObject & {
    spec: { template: { metadata: { annotations: Record<string, string> } } };
  };
  return deployment.spec.template.metadata.annotations[configChecksumAnnotation];
}

const secret = (uid: string, resourceVersion: string): KubeObject => ({
  metadata: { name: 'registry-s3', uid, resourceVersion },
  data: { secretAccessKey: 'c2VjcmV0' },
});

describe('what rolls the registry Pods', () => {
  const s3 = sampleRegistry('registry-s3.yaml');
  const inputs = (found: KubeObject | undefined) => ({
    signingCertificate: 'Y2VydA==',
    userSecret: (name: string) => (name === 'registry-s3' ? found : undefined),
  });

  it("names the users' Secrets that the registry env reads, and not the operator's own", () => {
    expect(envSecretNames(s3)).toEqual(['registry-s3']);
    expect(envSecretNames(registry({ storage: { emptyDir: {} } }))).toEqual([]);
    expect(
      envSecretNames(registry({ storage: { emptyDir: {} }, proxy: { remoteURL: 'https://mirror.example', credentialsSecretRef: { name: 'upstream' } } })),
    ).toEqual(['upstream']);
  });

  it('changes the checksum when a user Secret the env reads is updated or replaced, and only then', () => {
    const first = checksum(desiredWorkload(s3, options, inputs(secret('u1', '100'))));
    expect(checksum(desiredWorkload(s3, options, inputs(secret('u1', '100'))))).toBe(first);
    expect(checksum(desiredWorkload(s3, options, inputs(secret('u1', '101'))))).not.toBe(first);
    expect(checksum(desiredWorkload(s3, options, inputs(secret('u2', '100'))))).not.toBe(first);
    expect(checksum(desiredWorkload(s3, options, inputs(undefined)))).not.toBe(first);
  });

  it('takes identity and version from a Secret, never its values', () => {
    const version = envSecretVersion('registry-s3', secret('u1', '100'));
    expect(version).toBe('registry-s3:u1:100');
    expect(version).not.toContain('c2VjcmV0');
  });
});
