import { apiVersion } from '../../src/api/v1alpha1/index.ts';

// Objects the API must reject, each with the one field at fault. The unit tests check that zod
// rejects each at that field; the integration tests that the apiserver does, naming it too.

export interface InvalidObject {
  /** What is wrong, for the test name. */
  problem: string;
  object: { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
  /** The offending field, in the apiserver's notation (spec.rules[0].tags[0]). */
  field: string;
  /** Unknown fields are only rejected, rather than dropped, under strict field validation. */
  strictFieldValidation?: boolean;
}

// Valid specs the cases change in one place each; a unit test proves they are valid.
export const validRegistrySpec = { storage: { emptyDir: {} } };
export const validImageRepositorySpec = { registryRef: { name: 'main' }, repository: 'apps/web' };
export const validRetentionPolicySpec = {
  registryRef: { name: 'main' },
  repositories: ['apps/**'],
  schedule: '0 3 * * *',
  rules: [{ tags: ['v*'], mostRecentlyPushed: 10 }],
};

function object(kind: string, spec: Record<string, unknown>): InvalidObject['object'] {
  return { apiVersion, kind, metadata: { name: 'invalid' }, spec };
}

const registry = (spec: Record<string, unknown>) => object('Registry', spec);
const imageRepository = (spec: Record<string, unknown>) => object('ImageRepository', { ...validImageRepositorySpec, ...spec });
const retentionPolicy = (spec: Record<string, unknown>) => object('RetentionPolicy', { ...validRetentionPolicySpec, ...spec });
const pvc = (claim: Record<string, unknown>) => ({ persistentVolumeClaim: { size: '1Gi', ...claim } });

export const invalidObjects: InvalidObject[] = [
  // Registry
  {
    problem: 'two storage kinds',
    object: registry({ storage: { emptyDir: {}, ...pvc({}) } }),
    field: 'spec.storage',
  },
  { problem: 'no storage kind', object: registry({ storage: { deletionPolicy: 'Delete' } }), field: 'spec.storage' },
  { problem: 'neither storage nor external', object: registry({ replicas: 1 }), field: 'spec.storage' },
  {
    problem: 'external together with storage',
    object: registry({ external: { url: 'https://registry.example.com' }, storage: { emptyDir: {} } }),
    field: 'spec.external',
  },
  {
    problem: 'more than one replica on a ReadWriteOnce claim',
    object: registry({ replicas: 3, storage: pvc({ accessMode: 'ReadWriteOnce' }) }),
    field: 'spec.replicas',
  },
  { problem: 'more than one replica on an emptyDir', object: registry({ replicas: 2, storage: { emptyDir: {} } }), field: 'spec.replicas' },
  { problem: 'zero replicas', object: registry({ ...validRegistrySpec, replicas: 0 }), field: 'spec.replicas' },
  { problem: 'replicas of the wrong type', object: registry({ ...validRegistrySpec, replicas: 'two' }), field: 'spec.replicas' },
  {
    problem: 'a size that is no quantity',
    object: registry({ storage: pvc({ size: 'lots' }) }),
    field: 'spec.storage.persistentVolumeClaim.size',
  },
  {
    problem: 'an unknown deletion policy',
    object: registry({ storage: { emptyDir: {}, deletionPolicy: 'Forget' } }),
    field: 'spec.storage.deletionPolicy',
  },
  {
    problem: 's3 without credentials',
    object: registry({ storage: { s3: { bucket: 'images', region: 'eu-central-1' } } }),
    field: 'spec.storage.s3.credentialsSecretRef',
  },
  { problem: 'a host port out of range', object: registry({ ...validRegistrySpec, nodeAccess: { hostPort: 70000 } }), field: 'spec.nodeAccess.hostPort' },
  {
    problem: 'a schedule that is no cron expression',
    object: registry({ ...validRegistrySpec, garbageCollection: { schedule: 'every night' } }),
    field: 'spec.garbageCollection.schedule',
  },
  {
    problem: 'a cron minute out of range',
    object: registry({ ...validRegistrySpec, garbageCollection: { schedule: '61 4 * * *' } }),
    field: 'spec.garbageCollection.schedule',
  },
  {
    problem: 'a rotation period that is no Go duration',
    object: registry({ ...validRegistrySpec, auth: { credentialRotation: { period: '30 days' } } }),
    field: 'spec.auth.credentialRotation.period',
  },
  {
    problem: 'a rotation overlap as long as the period',
    object: registry({ ...validRegistrySpec, auth: { credentialRotation: { period: '24h', overlap: '1440m' } } }),
    field: 'spec.auth.credentialRotation.overlap',
  },
  {
    problem: 'both a TLS Secret and a cert-manager issuer',
    object: registry({ ...validRegistrySpec, tls: { secretName: 'registry-tls', issuerRef: { name: 'letsencrypt' } } }),
    field: 'spec.tls',
  },
  {
    problem: 'a nodePort on a ClusterIP Service',
    object: registry({ ...validRegistrySpec, service: { type: 'ClusterIP', nodePort: 30500 } }),
    field: 'spec.service.nodePort',
  },
  {
    problem: 'an external URL that is not http(s)',
    object: registry({ external: { url: 'ftp://registry.example.com' } }),
    field: 'spec.external.url',
  },
  {
    problem: 'a namespace name that is not a DNS label',
    object: registry({ ...validRegistrySpec, pullSecrets: { namespaces: ['team-a', 'Team_B'] } }),
    field: 'spec.pullSecrets.namespaces[1]',
  },
  {
    problem: 'an unknown field',
    object: registry({ storage: pvc({ sizee: '2Gi' }) }),
    field: 'spec.storage.persistentVolumeClaim.sizee',
    strictFieldValidation: true,
  },
  // ImageRepository
  { problem: 'an uppercase repository name', object: imageRepository({ repository: 'Apps/Web' }), field: 'spec.repository' },
  { problem: 'an empty path component', object: imageRepository({ repository: 'apps//web' }), field: 'spec.repository' },
  {
    problem: 'a cross-namespace registry reference',
    object: imageRepository({ registryRef: { name: 'main', namespace: 'team-b' } }),
    field: 'spec.registryRef.namespace',
  },
  // RetentionPolicy
  {
    problem: 'a cross-namespace registry reference',
    object: retentionPolicy({ registryRef: { name: 'main', namespace: 'team-b' } }),
    field: 'spec.registryRef.namespace',
  },
  {
    problem: 'a rule with two keep criteria',
    object: retentionPolicy({ rules: [{ tags: ['v*'], mostRecentlyPushed: 10, pulledWithin: '720h' }] }),
    field: 'spec.rules[0]',
  },
  {
    problem: 'a rule with no keep criterion',
    object: retentionPolicy({ rules: [{ always: true }, { tags: ['v*'] }] }),
    field: 'spec.rules[1]',
  },
  { problem: 'no rules', object: retentionPolicy({ rules: [] }), field: 'spec.rules' },
  { problem: 'always: false', object: retentionPolicy({ rules: [{ always: false }] }), field: 'spec.rules[0].always' },
  {
    problem: 'a negative count',
    object: retentionPolicy({ rules: [{ mostRecentlyPushed: -1 }] }),
    field: 'spec.rules[0].mostRecentlyPushed',
  },
  {
    problem: 'a tag glob with a character class',
    object: retentionPolicy({ rules: [{ tags: ['v[0-9]*'], always: true }] }),
    field: 'spec.rules[0].tags[0]',
  },
  { problem: 'an uppercase repository glob', object: retentionPolicy({ repositories: ['Apps/**'] }), field: 'spec.repositories[0]' },
  {
    problem: 'a duration in days, which Go does not know',
    object: retentionPolicy({ rules: [{ pulledWithin: '30d' }] }),
    field: 'spec.rules[0].pulledWithin',
  },
  { problem: 'a schedule with four fields', object: retentionPolicy({ schedule: '0 3 * *' }), field: 'spec.schedule' },
  { problem: 'a time zone that is no IANA name', object: retentionPolicy({ timeZone: 'Central European Time' }), field: 'spec.timeZone' },
  { problem: 'a circuit breaker of zero', object: retentionPolicy({ maxDeletionsPerRun: 0 }), field: 'spec.maxDeletionsPerRun' },
  { problem: 'dryRun of the wrong type', object: retentionPolicy({ dryRun: 'yes' }), field: 'spec.dryRun' },
  {
    problem: 'too many repository globs',
    object: retentionPolicy({ repositories: Array.from({ length: 65 }, (_, index) => `apps/team-${index}`) }),
    field: 'spec.repositories',
  },
  {
    problem: 'an unknown field',
    object: retentionPolicy({ keepInuse: false }),
    field: 'spec.keepInuse',
    strictFieldValidation: true,
  },
];
