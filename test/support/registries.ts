import { Registry } from '../../src/api/v1alpha1/registry.ts';
import type { RegistryDeploymentInputs } from '../../src/controllers/registry/builders/deployment.ts';
import { dockyardSamples } from './samples.ts';

export const registryUid = '6f1c2a4e-0000-4000-8000-000000000001';

/** A Registry as the operator reads it: parsed by the schema (defaults applied), with a uid. */
export function registry(spec: Record<string, unknown>, metadata: { name?: string; namespace?: string } = {}): Registry {
  return Registry.parse({
    apiVersion: 'dockyard.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: metadata.name ?? 'main', namespace: metadata.namespace ?? 'team-a', uid: registryUid, generation: 1 },
    spec,
  });
}

/** The Registry of manifests/samples/<file>, as the operator would read it. */
export function sampleRegistry(file: string): Registry {
  const sample = dockyardSamples().find((candidate) => candidate.file === file && candidate.object.kind === 'Registry');
  if (sample === undefined) throw new Error(`no Registry in manifests/samples/${file}`);
  const { name, namespace } = sample.object.metadata;
  return registry(sample.object.spec, { name, ...(namespace !== undefined ? { namespace } : {}) });
}

export const deploymentInputs: RegistryDeploymentInputs = {
  operatorImage: 'ghcr.io/dockyard/dockyard:0.1.0',
  authContainerArgs: ['auth-server', '--listen=:5000', '--upstream=http://127.0.0.1:5001'],
  registryEnv: [{ name: 'REGISTRY_STORAGE_S3_ACCESSKEY', valueFrom: { secretKeyRef: { name: 'registry-s3', key: 'accessKeyID' } } }],
  configChecksum: 'sha256-0123abcd',
};
