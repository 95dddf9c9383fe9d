import { z } from 'zod';
import { excludes, exactlyOneOf, withRules, withTransitionRules } from '../validation-rule.ts';
import { boundedMap, Conditions, KeyReference, LabelSelector, ObservedGeneration, Placement, ResourceRequirements, SecretReference } from './common.ts';
import { durationMilliseconds } from './duration.ts';
import { CronSchedule, Duration, HttpUrl, ImageReference, LabelName, ObjectName, Quantity, Timestamp } from './formats.ts';
import { ageColumn, resourceSchema, type KindDefinition } from './resource.ts';

/**
 * The registry image when spec.image is unset. The operator applies it rather than the schema:
 * a schema default would be stored on external registries too (which run no image) and would
 * freeze every Registry at the image of the CRD it was created under.
 */
export const defaultRegistryImage = 'docker.io/library/registry:3.0.0';
export const defaultReplicas = 1;

const storageKinds = ['persistentVolumeClaim', 'emptyDir', 's3'] as const;

const PersistentVolumeClaimStorage = z.strictObject({
  size: Quantity.describe('Capacity to request, such as 20Gi.'),
  storageClassName: ObjectName.optional().describe("StorageClass of the claim; the cluster's default class when omitted."),
  accessMode: z
    .enum(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany'])
    .default('ReadWriteOnce')
    .describe('Access mode of the claim. More than one replica needs ReadWriteMany.'),
});

const EmptyDirStorage = z.strictObject({
  medium: z.enum(['Disk', 'Memory']).default('Disk').describe("Disk (the node's filesystem) or Memory (tmpfs, counted against the container's memory)."),
  sizeLimit: Quantity.optional().describe('Upper bound of the volume, such as 5Gi; the Pod is evicted above it.'),
});

const S3Storage = z.strictObject({
  bucket: z
    .string()
    .min(3)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, { message: 'must be an S3 bucket name: lowercase letters, digits, . and -' })
    .describe('Bucket that holds the images.'),
  region: z.string().min(1).max(64).describe('Region of the bucket, such as eu-central-1.'),
  endpoint: HttpUrl.optional().describe('URL of an S3-compatible service (MinIO, Ceph); AWS when omitted.'),
  rootDirectory: z
    .string()
    .max(255)
    .regex(/^\/[A-Za-z0-9._/-]*$/, { message: 'must be an absolute path such as /registry' })
    .optional()
    .describe('Prefix of every object the registry writes, such as /registry.'),
  forcePathStyle: z.boolean().default(false).describe('Address the bucket as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT, as most S3-compatible services need.'),
  credentialsSecretRef: SecretReference.describe(
    'Secret with the keys accessKeyID and secretAccessKey. After you update it, Dockyard rolls the registry Pods at its next look (about every 10 minutes, and at once on any change to the Registry).',
  ),
});

const RegistryStorage = withTransitionRules(
  withRules(
    z.strictObject({
      persistentVolumeClaim: PersistentVolumeClaimStorage.optional().describe(
        'Keep images on a PersistentVolumeClaim the operator creates. With ReadWriteOnce, the registry and its garbage collection run on the node of the volume.',
      ),
      emptyDir: EmptyDirStorage.optional().describe('Keep images in an emptyDir volume: they are lost when the Pod goes. For tests and caches.'),
      s3: S3Storage.optional().describe('Keep images in an S3 bucket (or an S3-compatible service), shared by all replicas.'),
      deletionPolicy: z
        .enum(['Retain', 'Delete'])
        .default('Retain')
        .describe(
          'What happens to the stored images when the Registry is deleted: Retain (the default) keeps the claim or bucket contents; Delete removes them.',
        ),
    }),
    [exactlyOneOf(storageKinds)],
  ),
  [
    {
      cel: storageKinds.map((kind) => `has(self.${kind}) == has(oldSelf.${kind})`).join(' && '),
      message: 'the storage kind cannot change, as the images would not move with it; create a new Registry instead',
    },
  ],
);

const CredentialRotation = withRules(
  z.strictObject({
    period: Duration.default('720h').describe(
      'How long a generated credential is used before the next one replaces it, as a Go duration (720h is 30 days). At least 1h.',
    ),
    overlap: Duration.default('24h').describe(
      'How long the previous credential stays valid after a rotation, so no pull fails while Secrets propagate. Shorter than period.',
    ),
  }),
  [
    {
      cel: "duration(self.period) >= duration('1h')",
      field: '.period',
      message: 'period must be at least 1h',
      holds: (rotation) => durationMilliseconds(rotation.period) >= 3_600_000,
    },
    {
      cel: 'duration(self.overlap) < duration(self.period)',
      field: '.overlap',
      message: 'overlap must be shorter than period',
      holds: (rotation) => durationMilliseconds(rotation.overlap) < durationMilliseconds(rotation.period),
    },
  ],
);

const RegistryAuth = z.strictObject({
  anonymousPull: z.boolean().default(false).describe('Let anyone who can reach the registry pull without credentials. Pushing always needs the push identity.'),
  credentialRotation: CredentialRotation.optional().describe('How the operator-generated pull and push credentials rotate. Rotation is off when omitted.'),
});

const IssuerReference = z.strictObject({
  name: ObjectName.describe('Name of the cert-manager Issuer or ClusterIssuer.'),
  kind: z.enum(['Issuer', 'ClusterIssuer']).default('Issuer').describe('Issuer (in the same namespace) or ClusterIssuer.'),
  group: z.string().max(253).default('cert-manager.io').describe('API group of the issuer.'),
});

const RegistryTls = withRules(
  z.strictObject({
    secretName: ObjectName.optional().describe('A kubernetes.io/tls Secret in the same namespace with the certificate to serve.'),
    issuerRef: IssuerReference.optional().describe('A cert-manager issuer that the operator asks for the certificate (needs cert-manager).'),
  }),
  [exactlyOneOf(['secretName', 'issuerRef'])],
);

const RegistryService = withRules(
  z.strictObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP').describe('Type of the Service in front of the registry.'),
    port: z.int().min(1).max(65535).default(5000).describe('Port of the Service.'),
    nodePort: z.int().min(30000).max(32767).optional().describe('Node port, for type NodePort or LoadBalancer; chosen by Kubernetes when omitted.'),
    annotations: boundedMap(32).optional().describe('Annotations of the Service, such as those a cloud load balancer reads.'),
  }),
  [
    {
      cel: "!has(self.nodePort) || self.type != 'ClusterIP'",
      field: '.nodePort',
      reason: 'FieldValueForbidden',
      message: 'nodePort needs type NodePort or LoadBalancer',
      holds: (service) => service.nodePort === undefined || service.type !== 'ClusterIP',
    },
  ],
);

const RegistryIngress = z.strictObject({
  host: z
    .string()
    .max(253)
    .regex(/^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)+$/, { message: 'must be a fully qualified lowercase host name' })
    .describe('Host name the registry is reachable at from outside the cluster, such as registry.example.com.'),
  className: ObjectName.optional().describe("IngressClass to use; the cluster's default class when omitted."),
  tlsSecretName: ObjectName.optional().describe('A kubernetes.io/tls Secret for the host; plain HTTP when omitted.'),
  annotations: boundedMap(32).optional().describe('Annotations of the Ingress, such as a body size limit for large layers.'),
});

const NodeAccess = z.strictObject({
  hostPort: z
    .int()
    .min(1)
    .max(65535)
    .describe("Port on every node's loopback where a DaemonSet proxy forwards to the registry, so kubelets pull images as localhost:PORT/...."),
});

const PullThroughProxy = z.strictObject({
  remoteURL: HttpUrl.describe('URL of the registry to cache, such as https://registry-1.docker.io.'),
  credentialsSecretRef: SecretReference.optional().describe(
    'Secret with the keys username and password for the remote registry; anonymous when omitted. After you update it, Dockyard rolls the registry Pods at its next look (about every 10 minutes, and at once on any change to the Registry).',
  ),
  ttl: Duration.optional().describe(
    'How long cached content is kept after it was fetched from the remote (pulls in between do not extend it), as a Go duration such as 168h. Distribution 3.x only: 2.8 keeps content 7 days whatever this says.',
  ),
});

const PullSecrets = z.strictObject({
  secretName: ObjectName.optional().describe('Name of the kubernetes.io/dockerconfigjson Secret in each namespace; <registry name>-pull when omitted.'),
  namespaceSelector: LabelSelector.optional().describe(
    'Namespaces whose labels match receive the pull Secret, including namespaces created later; it is removed when a namespace stops matching.',
  ),
  namespaces: z.array(LabelName).max(256).optional().describe('Namespaces, by name, that receive the pull Secret in addition to those the selector matches.'),
  serviceAccounts: z
    .array(ObjectName)
    .max(32)
    .optional()
    .describe('ServiceAccounts, by name, that get the Secret added to their imagePullSecrets in every receiving namespace (such as default).'),
});

const GarbageCollection = z.strictObject({
  schedule: CronSchedule.describe('When to collect, as a cron schedule such as "0 4 * * *". The registry is read-only (maintenance) while the collector runs.'),
  deleteUntagged: z.boolean().default(false).describe('Also delete manifests that no tag points at (garbage-collect --delete-untagged).'),
  suspend: z.boolean().default(false).describe('Skip scheduled collections while true.'),
  maxReadOnlyDuration: Duration.default('30m').describe(
    'The longest pushes may be refused for one collection, as a Go duration. The door reopens on its own at that deadline, whatever happens; a collection not done by then fails and is reported.',
  ),
});

const ExternalRegistry = z.strictObject({
  url: HttpUrl.describe('Base URL of the registry, such as https://registry.example.com or http://127.0.0.1:5000.'),
  credentialsSecretRef: SecretReference.optional().describe(
    'Secret with the keys username and password that Dockyard uses and hands out; anonymous when omitted. Dockyard reads it again at each look (every 5 minutes while Ready, every 30 s while not).',
  ),
  caBundleRef: KeyReference.optional().describe('PEM bundle of the certificate authorities the registry certificate chains to, when not a public one.'),
  retentionCredentialsSecretRef: SecretReference.optional().describe(
    'Secret with the keys username and password of an identity that may delete, used only by retention runs and never handed out. ' +
      'The credentials in credentialsSecretRef are fanned out to other namespaces, so they must not be what deletes images. ' +
      'Without this field, retention on the registry deletes only where it allows anonymous deletes; each report says which identity it used.',
  ),
});

/** The fields that configure a registry Dockyard runs; none of them means anything for an external one. */
const managedOnlyFields = [
  'image',
  'replicas',
  'resources',
  'placement',
  'storage',
  'auth',
  'tls',
  'service',
  'ingress',
  'nodeAccess',
  'proxy',
  'garbageCollection',
] as const;

export const RegistrySpec = withTransitionRules(
  withRules(
    z.strictObject({
      image: ImageReference.optional().describe(`Image of the registry (CNCF distribution 2.8 or 3.x); ${defaultRegistryImage} when omitted.`),
      replicas: z
        .int()
        .min(1)
        .max(10)
        .optional()
        .describe(`Number of registry Pods; ${defaultReplicas} when omitted. More than one needs shared storage (s3, or a ReadWriteMany claim).`),
      resources: ResourceRequirements.optional().describe('Compute resources of the registry container.'),
      placement: Placement.optional().describe('Where the registry Pods may run.'),
      storage: RegistryStorage.optional().describe(
        'Where the registry keeps images: exactly one of persistentVolumeClaim, emptyDir or s3. Required unless external is set. The kind cannot change later.',
      ),
      auth: RegistryAuth.optional().describe(
        'Operator-generated pull and push identities. Pull-only access is enforced by a token service beside the registry.',
      ),
      tls: RegistryTls.optional().describe('Serve HTTPS with a certificate from a Secret or from cert-manager; plain HTTP inside the cluster when omitted.'),
      service: RegistryService.optional().describe('The Service in front of the registry; a ClusterIP Service on port 5000 when omitted.'),
      ingress: RegistryIngress.optional().describe('Expose the registry outside the cluster through an Ingress.'),
      nodeAccess: NodeAccess.optional().describe('Make the registry reachable as localhost:PORT on every node, for kubelets that cannot resolve cluster DNS.'),
      proxy: PullThroughProxy.optional().describe('Run the registry as a pull-through cache of a remote registry.'),
      pullSecrets: PullSecrets.optional().describe('Replicate a pull Secret for this registry into matching namespaces and ServiceAccounts.'),
      garbageCollection: GarbageCollection.optional().describe('Free the storage of deleted images on a schedule.'),
      external: ExternalRegistry.optional().describe(
        'Use a registry that runs elsewhere: Dockyard deploys nothing and provides pull-secret fan-out, retention and status for it. ' +
          `Excludes ${managedOnlyFields.join(', ')}. Cannot be added or removed later.`,
      ),
    }),
    [
      {
        cel: 'has(self.storage) || has(self.external)',
        field: '.storage',
        reason: 'FieldValueRequired',
        message: 'storage is required for a registry Dockyard runs (or set external for a registry that runs elsewhere)',
        holds: (spec) => spec.storage !== undefined || spec.external !== undefined,
      },
      excludes('external', managedOnlyFields, 'they configure a registry Dockyard runs, and Dockyard runs nothing for an external one'),
      {
        cel:
          '!has(self.replicas) || self.replicas <= 1 || !has(self.storage) || has(self.storage.s3) || ' +
          "(has(self.storage.persistentVolumeClaim) && self.storage.persistentVolumeClaim.accessMode == 'ReadWriteMany')",
        field: '.replicas',
        message: 'more than one replica needs shared storage: s3, or a persistentVolumeClaim with accessMode ReadWriteMany',
        holds: ({ replicas, storage }) =>
          replicas === undefined ||
          replicas <= 1 ||
          storage === undefined ||
          storage.s3 !== undefined ||
          storage.persistentVolumeClaim?.accessMode === 'ReadWriteMany',
      },
    ],
  ),
  [
    {
      cel: 'has(self.external) == has(oldSelf.external)',
      field: '.external',
      message: 'external cannot be added or removed: a Registry either runs a registry or points at one elsewhere; create a new Registry instead',
    },
  ],
);
export type RegistrySpec = z.output<typeof RegistrySpec>;

const Count = z.int().min(0);

/** The phases of a garbage collection run, in the order a run goes through them. */
export const collectionPhases = ['Gating', 'DryRun', 'Collecting', 'Lifting'] as const;

const PhaseSeconds = z.strictObject({
  gating: Count.optional().describe('From the gate going up until every door held it and no admitted write was running.'),
  dryRun: Count.optional().describe("The dry-run Job, then the cross-check against Dockyard's own mark."),
  collecting: Count.optional().describe('The collector Job, then the verification that every tag still resolves.'),
  lifting: Count.optional().describe("From the run's outcome until every door was open again."),
});

const GarbageCollectionRun = z.strictObject({
  startTime: Timestamp.describe('When the run started (the write gate went up).'),
  completionTime: Timestamp.optional().describe('When the run ended (the write gate came down).'),
  outcome: z
    .enum(['Succeeded', 'Failed', 'Aborted', 'Skipped'])
    .optional()
    .describe('Succeeded; Failed (the message says where); Aborted by the cross-check before anything was deleted; Skipped (not run: the message says why).'),
  message: z.string().max(1024).optional().describe('Why the run ended as it did.'),
  blobsDeleted: Count.optional().describe('Blobs the collector deleted.'),
  manifestsDeleted: Count.optional().describe('Untagged manifests the collector deleted (deleteUntagged).'),
  bytesReclaimed: Count.optional().describe(
    'Bytes of the blobs the collector deleted, as a lower bound: the sizes the registry reported before the collection for the layers and configs it deleted, summed. ' +
      'The deleted manifests themselves (a few kB each), and a blob no remaining repository links, are not counted.',
  ),
  writeGateSeconds: Count.optional().describe('How long pushes and deletes were refused.'),
  phaseSeconds: PhaseSeconds.optional().describe(
    "Where the write gate's time went, in seconds per phase: gating (until every door held the gate), dryRun (the dry-run Job and the cross-check), " +
      'collecting (the collector Job and the verification), lifting (until every door was open again).',
  ),
});

/** The run under way: what an operator restart resumes from (or rolls back). */
const GarbageCollectionInProgress = z.strictObject({
  run: z
    .string()
    .regex(/^[a-z0-9]{1,10}$/)
    .describe('Short id of the run; its Jobs are named after it.'),
  phase: z.enum(collectionPhases).describe('Where the sequence is.'),
  phaseStartTimes: z
    .strictObject({
      Gating: Timestamp.optional().describe('When the gate went up.'),
      DryRun: Timestamp.optional().describe('When every door held the gate and the dry run was started.'),
      Collecting: Timestamp.optional().describe('When the cross-check passed and the collector was started.'),
      Lifting: Timestamp.optional().describe('When the outcome was decided and the gate started coming down.'),
    })
    .optional()
    .describe('When the run entered each phase so far: lastRun.phaseSeconds is made from them.'),
  startTime: Timestamp.describe('When the write gate went up.'),
  gateUntil: Timestamp.describe('The write gate deadline (startTime + maxReadOnlyDuration), which the door enforces on its own.'),
  deleteUntagged: z.boolean().describe('Whether this run deletes untagged manifests (fixed at its start).'),
  outcome: z.enum(['Succeeded', 'Failed', 'Aborted']).optional().describe('Set once the run is decided, while the gate is being lifted.'),
  message: z.string().max(1024).optional().describe('Why the run was decided as it was.'),
  tagCount: Count.optional().describe('Tags the cross-check found before the collection, each of which must resolve after it.'),
  blobsDeleted: Count.optional().describe('Blobs the collector deleted, once it has.'),
  manifestsDeleted: Count.optional().describe('Untagged manifests the collector deleted, once it has.'),
  bytesReclaimed: Count.optional().describe(
    'Bytes of the blobs the dry run found eligible, as the registry reported their sizes (a lower bound, see lastRun).',
  ),
});

const GarbageCollectionStatus = z.strictObject({
  lastRun: GarbageCollectionRun.optional().describe('The most recent run that ended.'),
  nextRunTime: Timestamp.optional().describe('When the next scheduled run starts.'),
  current: GarbageCollectionInProgress.optional().describe('The run under way, if any.'),
  handledRunNowRequest: z.string().max(256).optional().describe('The last dockyard.dev/collect-garbage-now annotation value acted on.'),
});
export type GarbageCollectionStatus = z.output<typeof GarbageCollectionStatus>;

export const RegistryStatus = z.strictObject({
  observedGeneration: ObservedGeneration.optional(),
  conditions: Conditions.optional(),
  phase: z
    .enum(['Pending', 'Progressing', 'Ready', 'Degraded', 'Maintenance', 'Failed'])
    .optional()
    .describe('A one-word summary of the conditions, for kubectl get.'),
  endpoint: z.string().max(2048).optional().describe('Address clients in the cluster push to and pull from, such as main.team-a.svc:5000.'),
  nodeEndpoint: z.string().max(256).optional().describe('Address kubelets pull from when nodeAccess is set, such as localhost:5000.'),
  image: z.string().max(512).optional().describe('Image the registry runs.'),
  readyReplicas: z.int().min(0).optional().describe('Registry Pods that are ready.'),
  pullSecrets: z
    .strictObject({
      secretName: z.string().max(253).optional().describe('Name of the replicated pull Secret.'),
      namespaceCount: z.int().min(0).describe('Number of namespaces that hold the pull Secret.'),
      namespaces: z.array(z.string().max(63)).max(20).optional().describe('Some of those namespaces, for a quick look; the count is authoritative.'),
    })
    .optional()
    .describe('Where the pull Secret has been replicated.'),
  garbageCollection: GarbageCollectionStatus.optional().describe('Garbage collection: the last run, the next one, and the run under way.'),
});
export type RegistryStatus = z.output<typeof RegistryStatus>;

export const registryKind = {
  kind: 'Registry',
  plural: 'registries',
  singular: 'registry',
  shortNames: ['reg'],
  description:
    'A container registry in the cluster: one that Dockyard runs (CNCF distribution, with storage, auth, TLS and node access), ' +
    'or one that runs elsewhere (spec.external). Either way Dockyard fans out pull Secrets and reports status.',
  spec: RegistrySpec,
  status: RegistryStatus,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'A one-word summary of the conditions.' },
    { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', description: 'Address clients in the cluster push to and pull from.' },
    ageColumn,
  ],
} satisfies KindDefinition<typeof RegistrySpec, typeof RegistryStatus>;

export const Registry = resourceSchema(registryKind);
export type Registry = z.output<typeof Registry>;
