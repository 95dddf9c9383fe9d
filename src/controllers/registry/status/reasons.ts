/**
 * Every condition type and reason a Registry's status can carry, in one place. The status code
 * uses these constants, never string literals, and docs/troubleshooting.md is generated from
 * `registryReasonGuide` (make docs; a unit test fails when the table is stale), so the table a
 * person reads at 3 a.m. lists exactly what the operator can say.
 */

export const conditionTypes = {
  ready: 'Ready',
  progressing: 'Progressing',
  degraded: 'Degraded',
  pullSecrets: 'PullSecrets',
  maintenance: 'Maintenance',
  garbageCollection: 'GarbageCollection',
} as const;

/** Reasons of Degraded=True (and of Ready=False while it holds): something a person must fix. */
export const degradedReasons = {
  invalidSpec: 'InvalidSpec',
  certManagerMissing: 'CertManagerMissing',
  secretMissing: 'SecretMissing',
  storageUnbound: 'StorageUnbound',
  rolloutStuck: 'RolloutStuck',
  unreachable: 'Unreachable',
  unauthorized: 'Unauthorized',
  unexpectedStatus: 'UnexpectedStatus',
} as const;

/** Reasons while things move on their own, or are as they should be. */
export const progressReasons = {
  creating: 'Creating',
  waitingForStorage: 'WaitingForStorage',
  waitingForCertificate: 'WaitingForCertificate',
  rollingOut: 'RollingOut',
  rolloutComplete: 'RolloutComplete',
  available: 'Available',
  asExpected: 'AsExpected',
  reachable: 'Reachable',
  external: 'External',
} as const;

/** Reasons of the PullSecrets condition. */
export const pullSecretsReasons = {
  distributed: 'Distributed',
  noCredentials: 'NoCredentials',
  crossNamespaceNotAllowed: 'CrossNamespaceNotAllowed',
  namespaceMissing: 'NamespaceMissing',
} as const;

/**
 * Reasons of the Maintenance condition (True while pushes are refused for a garbage collection)
 * and of GarbageCollection (how the last run went, or why runs are refused); a failed or aborted
 * run also sets Degraded=True with the same reason.
 */
export const garbageCollectionReasons = {
  collecting: 'GarbageCollecting',
  noMaintenance: 'NoMaintenance',
  lastRunSucceeded: 'LastRunSucceeded',
  failed: 'GarbageCollectionFailed',
  aborted: 'GarbageCollectionAborted',
  deleteUntaggedUnsafe: 'DeleteUntaggedUnsafe',
  storageUnsupported: 'GarbageCollectionStorageUnsupported',
} as const;

export type RegistryReason =
  | (typeof garbageCollectionReasons)[keyof typeof garbageCollectionReasons]
  | (typeof degradedReasons)[keyof typeof degradedReasons]
  | (typeof progressReasons)[keyof typeof progressReasons]
  | (typeof pullSecretsReasons)[keyof typeof pullSecretsReasons];

export interface ReasonGuide {
  /** The conditions that carry it, as `Type=Status`. */
  conditions: string[];
  meaning: string;
  /** What to do; empty where nothing needs doing. */
  action: string;
}

/** For the troubleshooting table: every reason, what it means and what to do. The type makes it complete. */
export const registryReasonGuide: Readonly<Record<RegistryReason, ReasonGuide>> = {
  InvalidSpec: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning:
      'The spec cannot be carried out: the message names the field. Either the operator found it (a name too long for the Service; more than one replica on storage only one Pod can use, which an older CRD let through), could not read it, or the apiserver refused a child object built from it (for example a persistentVolumeClaim size smaller than the bound claim).',
    action: 'Fix the named field (`kubectl edit registry NAME`). Nothing is retried until the spec changes.',
  },
  CertManagerMissing: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: '`spec.tls.issuerRef` needs cert-manager, and the cluster does not serve `certificates.cert-manager.io/v1`.',
    action: 'Install cert-manager, or use `spec.tls.secretName` with a certificate you provide.',
  },
  SecretMissing: {
    conditions: ['Degraded=True'],
    meaning:
      "A Secret the spec names (S3 credentials, TLS, proxy or external credentials) does not exist in the Registry's namespace. Pods already running keep serving.",
    action: "Create the Secret the message names; the operator notices within about ten minutes (it does not watch users' Secrets).",
  },
  StorageUnbound: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The storage claim is still unbound after the rollout deadline, or lost its volume.',
    action: '`kubectl describe pvc NAME-registry-data`: check its StorageClass and provisioner.',
  },
  RolloutStuck: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'The Deployment controller gave up waiting for the registry Pods (ProgressDeadlineExceeded).',
    action: "`kubectl describe deployment NAME-registry` and the Pods' events: image pull, scheduling or crash loops.",
  },
  Unreachable: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'An external registry did not answer `GET /v2/` (DNS, connection, TLS or timeout; the message quotes the error).',
    action: 'Check `spec.external.url`, network policies and `spec.external.caBundleRef`.',
  },
  Unauthorized: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'An external registry or its token service answered 401 or 403 to the credentials in `spec.external.credentialsSecretRef`.',
    action: 'Fix the username and password in that Secret (the message never shows them).',
  },
  UnexpectedStatus: {
    conditions: ['Ready=False', 'Degraded=True'],
    meaning: 'An external registry answered `GET /v2/` with another HTTP status (the message quotes it): probably not a registry API at that URL.',
    action: "Check `spec.external.url`: it names the registry's root, without `/v2/`.",
  },
  Creating: {
    conditions: ['Ready=False', 'Progressing=True'],
    meaning: 'The children are being created (the message lists the missing ones).',
    action: '',
  },
  WaitingForStorage: {
    conditions: ['Ready=False', 'Progressing=True'],
    meaning: 'The claim waits to be bound; with a WaitForFirstConsumer StorageClass that happens when the Pod is scheduled.',
    action: 'Nothing, unless it lasts: then see StorageUnbound.',
  },
  WaitingForCertificate: {
    conditions: ['Ready=False', 'Progressing=True'],
    meaning: 'cert-manager has not issued the TLS Secret yet.',
    action: 'Nothing, unless it lasts: `kubectl describe certificate NAME-registry-tls`.',
  },
  RollingOut: {
    conditions: ['Progressing=True'],
    meaning: 'The registry Pods (or the node proxy) are rolling out; the message counts ready replicas.',
    action: '',
  },
  RolloutComplete: {
    conditions: ['Progressing=False'],
    meaning: 'Every replica runs the current template.',
    action: '',
  },
  Available: {
    conditions: ['Ready=True'],
    meaning: 'Every desired replica serves.',
    action: '',
  },
  AsExpected: {
    conditions: ['Degraded=False'],
    meaning: 'Nothing needs attention.',
    action: '',
  },
  Reachable: {
    conditions: ['Ready=True'],
    meaning: 'The external registry answered `GET /v2/` with 200, with the credentials when there are any.',
    action: '',
  },
  External: {
    conditions: ['Progressing=False'],
    meaning: 'An external registry: Dockyard deploys nothing for it.',
    action: '',
  },
  Distributed: {
    conditions: ['PullSecrets=True'],
    meaning: 'The pull Secret is in every namespace the spec selects (the message counts them).',
    action: '',
  },
  NoCredentials: {
    conditions: ['PullSecrets=False'],
    meaning: 'There is no credential to hand out: an external registry used anonymously.',
    action: 'Set `spec.external.credentialsSecretRef` if its clients need credentials.',
  },
  CrossNamespaceNotAllowed: {
    conditions: ['PullSecrets=False'],
    meaning:
      "The spec selects namespaces other than the Registry's own, and its namespace is not among the operator's `--pull-secret-sources` (a cluster admin's setting).",
    action: 'Ask a cluster admin to add the namespace to `pullSecretSources`, or narrow `spec.pullSecrets`.',
  },
  NamespaceMissing: {
    conditions: ['PullSecrets=False'],
    meaning: '`spec.pullSecrets.namespaces` names namespaces that do not exist.',
    action: 'Create them or fix the names; the Secret follows when they appear.',
  },
  GarbageCollecting: {
    conditions: ['Maintenance=True'],
    meaning:
      'A garbage collection runs: the registry refuses pushes and deletes (403 DENIED, with the end of the maintenance in the message and Retry-After) and serves pulls. The message says the phase and the deadline (maxReadOnlyDuration).',
    action: 'Nothing: pushes reopen when the collection ends, and at the deadline in any case. Retry refused pushes then.',
  },
  NoMaintenance: {
    conditions: ['Maintenance=False'],
    meaning: 'Pushes and deletes are open.',
    action: '',
  },
  LastRunSucceeded: {
    conditions: ['GarbageCollection=True'],
    meaning: 'The last collection deleted what it found (see `status.garbageCollection.lastRun`) and every tag still resolved afterwards.',
    action: '',
  },
  GarbageCollectionFailed: {
    conditions: ['GarbageCollection=False', 'Degraded=True'],
    meaning:
      'The last collection failed (the collector Job failed, its output was unreadable, it ran past maxReadOnlyDuration, or a tag no longer resolved afterwards); the write gate was lifted. The message says which.',
    action:
      '`kubectl logs job/NAME-gc-RUN-dry` (or `-sweep`) for the collector; raise `spec.garbageCollection.maxReadOnlyDuration` if it ran out of time. A later successful run clears it.',
  },
  GarbageCollectionAborted: {
    conditions: ['GarbageCollection=False', 'Degraded=True'],
    meaning:
      "The dry run would have deleted blobs that tagged images reference (Dockyard's own mark through the registry API disagreed with the collector), so nothing was deleted. The message names some of them.",
    action: 'Report it with the message: it is a collector bug (such as distribution#4939). Nothing was lost.',
  },
  DeleteUntaggedUnsafe: {
    conditions: ['GarbageCollection=False'],
    meaning:
      '`deleteUntagged` is refused: on distribution 2.x the collector deletes the platform manifests of multi-arch indexes (distribution#3178), or the image tag does not say its version. Runs are skipped.',
    action: 'Use a 3.x registry image (by a versioned tag), or set `spec.garbageCollection.deleteUntagged` to false.',
  },
  GarbageCollectionStorageUnsupported: {
    conditions: ['GarbageCollection=False'],
    meaning: 'The collector Job cannot mount the storage (emptyDir, or a ReadWriteOncePod claim, belongs to the registry Pod alone). Runs are skipped.',
    action: 'Use a persistentVolumeClaim (ReadWriteOnce or ReadWriteMany) or s3, or remove `spec.garbageCollection`.',
  },
};
