/**
 * Every condition type and reason a Registry's status can carry, in one place. The status code
 * uses these constants, never string literals, and docs/troubleshooting.md is generated from
 * `registryReasonGuide` (make docs; a unit test fails when the table is stale), so the table a
 * person reads at 3 a.m. lists exactly what the operator can say.
 */

export const conditionTypes = { ready: 'Ready', progressing: 'Progressing', degraded: 'Degraded', pullSecrets: 'PullSecrets' } as const;

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

export type RegistryReason =
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
};
