import type { V1DaemonSet, V1Deployment, V1PersistentVolumeClaim, V1Service } from '@kubernetes/client-node';
import { defaultRegistryImage, defaultReplicas, type Registry, type RegistryStatus } from '../../../api/v1alpha1/registry.ts';
import type { ConditionUpdate } from '../../../runtime/conditions.ts';
import { childNames } from '../../common/registry-children.ts';
import { tlsSecretName } from '../builders/certificate.ts';
import { endpoints, type EndpointOptions } from '../../common/registry-endpoints.ts';
import { registryIdentity } from '../builders/metadata.ts';
import { referencedSecrets } from '../builders/referenced-secrets.ts';
import { specProblems, type SpecProblem } from '../builders/spec-problems.ts';
import { conditionTypes, degradedReasons, progressReasons } from './reasons.ts';

/**
 * The Secrets deriveRegistryStatus() asks `secretExists` about: the user's Secrets the spec names,
 * and the one cert-manager issues for spec.tls.issuerRef. Neither kind carries the operator's
 * labels, so neither is in its caches; the reconcile looks these up, and only these.
 */
export function secretsTheStatusReads(registry: Registry): string[] {
  const issued = registry.spec.tls?.issuerRef !== undefined ? tlsSecretName(registry) : undefined;
  return [...new Set([...referencedSecrets(registry).map((use) => use.name), ...(issued !== undefined ? [issued] : [])])];
}

/** What the reconcile observed of a Registry's children, as read (from the informer caches). */
export interface ObservedRegistryChildren {
  deployment: V1Deployment | undefined;
  service: V1Service | undefined;
  /** The claim, when storage is a persistentVolumeClaim. */
  claim: V1PersistentVolumeClaim | undefined;
  /** The node proxy, when nodeAccess is set. */
  nodeProxy: V1DaemonSet | undefined;
  /** Whether a Secret of this name exists in the Registry's namespace. */
  secretExists: (name: string) => boolean;
  /** Whether cert-manager's Certificate kind is served; only read when spec.tls.issuerRef is set. */
  certManagerInstalled: boolean;
  /** Problems the apiserver found in what the spec asked for (an apply rejected with 422). */
  rejectedSpec?: SpecProblem[];
}

export interface DerivedRegistryStatus {
  /** Ready, Progressing and Degraded, without times: the runtime's setCondition() stamps them. */
  conditions: ConditionUpdate[];
  phase: Exclude<NonNullable<RegistryStatus['phase']>, 'Maintenance'>;
  readyReplicas: number;
  endpoint: string;
  nodeEndpoint?: string;
  image: string;
}

interface Finding {
  reason: string;
  message: string;
}

/**
 * The status of a registry Dockyard runs, from its spec and its observed children. Pure: the same
 * world gives the same status, so an unchanged world writes nothing.
 *
 * Ready and Degraded are independent: Pods started before a Secret was deleted still serve
 * (Ready) while the next rollout cannot start (Degraded/SecretMissing). Degraded means a person
 * must act; waiting that resolves itself is Progressing. A claim still unbound is waiting until
 * the Deployment's progress deadline passes, then StorageUnbound: that keeps a claim whose
 * StorageClass binds on first use (WaitForFirstConsumer) from flapping to Degraded, with no
 * clock in this function.
 */
export function deriveRegistryStatus(registry: Registry, observed: ObservedRegistryChildren, options: EndpointOptions = {}): DerivedRegistryStatus {
  const { endpoint, nodeEndpoint } = endpoints(registry, options);
  const common = {
    readyReplicas: observed.deployment?.status?.readyReplicas ?? 0,
    endpoint,
    ...(nodeEndpoint !== undefined ? { nodeEndpoint } : {}),
    image: registry.spec.image ?? defaultRegistryImage,
  };

  const problems = [...specProblems(registry), ...(observed.rejectedSpec ?? [])];
  if (problems.length > 0) {
    const invalid = { reason: degradedReasons.invalidSpec, message: problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ') };
    return {
      ...common,
      phase: 'Failed',
      conditions: [
        condition(conditionTypes.ready, 'False', invalid),
        condition(conditionTypes.progressing, 'False', { reason: invalid.reason, message: 'waiting for the spec to be fixed' }),
        condition(conditionTypes.degraded, 'True', invalid),
      ],
    };
  }

  const workload = workloadProgress(registry, observed);
  const blockers = findBlockers(registry, observed, workload);
  const [firstBlocker] = blockers;
  const blocker = firstBlocker !== undefined ? { reason: firstBlocker.reason, message: blockers.map((finding) => finding.message).join('; ') } : undefined;
  const nodeProxy = nodeProxyProgress(registry, observed.nodeProxy);
  const withNodeProxy = (message: string) => (nodeProxy === undefined ? message : `${message}; ${nodeProxy.message}`);

  const ready = workload.serving
    ? condition(conditionTypes.ready, 'True', { reason: progressReasons.available, message: withNodeProxy(workload.message) })
    : condition(conditionTypes.ready, 'False', blocker ?? workload);
  const stillMoving = !workload.complete ? workload : nodeProxy !== undefined && !nodeProxy.complete ? nodeProxy : undefined;
  const progressing =
    blocker !== undefined
      ? condition(conditionTypes.progressing, 'False', blocker)
      : stillMoving !== undefined
        ? condition(conditionTypes.progressing, 'True', stillMoving)
        : condition(conditionTypes.progressing, 'False', { reason: progressReasons.rolloutComplete, message: withNodeProxy(workload.message) });
  const degraded =
    blocker !== undefined
      ? condition(conditionTypes.degraded, 'True', blocker)
      : condition(conditionTypes.degraded, 'False', { reason: progressReasons.asExpected, message: 'nothing needs attention' });

  const phase = blocker !== undefined ? 'Degraded' : workload.serving ? 'Ready' : workload.reason === progressReasons.creating ? 'Pending' : 'Progressing';
  return { ...common, phase, conditions: [ready, progressing, degraded] };
}

interface WorkloadProgress extends Finding {
  /** Every desired replica runs the current template and is available. */
  serving: boolean;
  /** Serving, and no replica of an older template is left. */
  complete: boolean;
  /** The Deployment controller gave up waiting (Progressing=False, ProgressDeadlineExceeded). */
  deadlineExceeded?: string;
}

function workloadProgress(registry: Registry, observed: ObservedRegistryChildren): WorkloadProgress {
  const names = childNames(registryIdentity(registry).name);
  const missing = [
    observed.deployment === undefined ? `Deployment ${names.workload}` : undefined,
    observed.service === undefined ? `Service ${names.workload}` : undefined,
    registry.spec.storage?.persistentVolumeClaim !== undefined && observed.claim === undefined ? `PersistentVolumeClaim ${names.claim}` : undefined,
  ].filter((name) => name !== undefined);
  const deployment = observed.deployment;
  if (deployment === undefined || missing.length > 0) {
    return { reason: progressReasons.creating, message: `creating ${missing.join(', ')}`, serving: false, complete: false };
  }

  const desired = registry.spec.replicas ?? defaultReplicas;
  const status = deployment.status ?? {};
  const seen = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const serving = seen && updated >= desired && available >= desired;
  const complete = serving && (status.replicas ?? 0) <= desired;
  const stuck = status.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded');
  const counts = `${status.readyReplicas ?? 0} of ${desired} replicas ready, ${updated} updated`;
  const deadline = stuck !== undefined ? { deadlineExceeded: stuck.message ?? 'progress deadline exceeded' } : {};
  if (serving) return { reason: progressReasons.available, message: counts, serving, complete, ...deadline };

  const tlsSecret = tlsSecretName(registry);
  const waiting =
    observed.claim?.status?.phase === 'Pending'
      ? { reason: progressReasons.waitingForStorage, message: `waiting for PersistentVolumeClaim ${names.claim} to be bound; ${counts}` }
      : registry.spec.tls?.issuerRef !== undefined && tlsSecret !== undefined && !observed.secretExists(tlsSecret)
        ? {
            reason: progressReasons.waitingForCertificate,
            message: `waiting for cert-manager to issue Secret ${tlsSecret} (Certificate ${names.certificate}); ${counts}`,
          }
        : { reason: progressReasons.rollingOut, message: seen ? counts : `the Deployment controller has not seen the latest change yet; ${counts}` };
  return { ...waiting, serving, complete, ...deadline };
}

/** What keeps the registry from converging until a person acts, most fundamental first. */
function findBlockers(registry: Registry, observed: ObservedRegistryChildren, workload: WorkloadProgress): Finding[] {
  const { namespace } = registryIdentity(registry);
  const claimName = childNames(registryIdentity(registry).name).claim;
  const findings: Finding[] = [];
  if (registry.spec.tls?.issuerRef !== undefined && !observed.certManagerInstalled) {
    findings.push({
      reason: degradedReasons.certManagerMissing,
      message:
        'spec.tls.issuerRef needs cert-manager, but the cluster does not serve certificates.cert-manager.io/v1; install cert-manager or use spec.tls.secretName',
    });
  }
  for (const use of referencedSecrets(registry)) {
    if (!observed.secretExists(use.name)) {
      findings.push({ reason: degradedReasons.secretMissing, message: `Secret ${use.name} (${use.field}) does not exist in namespace ${namespace}` });
    }
  }
  const claimPhase = observed.claim?.status?.phase;
  if (claimPhase === 'Lost') {
    findings.push({ reason: degradedReasons.storageUnbound, message: `PersistentVolumeClaim ${claimName} lost its volume (phase Lost)` });
  }
  if (workload.deadlineExceeded !== undefined && !workload.serving) {
    findings.push(
      claimPhase === 'Pending'
        ? {
            reason: degradedReasons.storageUnbound,
            message: `PersistentVolumeClaim ${claimName} is still unbound after the rollout deadline; check its StorageClass (kubectl describe pvc ${claimName})`,
          }
        : { reason: degradedReasons.rolloutStuck, message: `the rollout is stuck: ${workload.deadlineExceeded}; ${workload.message}` },
    );
  }
  return findings;
}

interface NodeProxyProgress extends Finding {
  complete: boolean;
}

/** The node proxy's rollout, reported but not required for Ready: one NotReady node must not make the registry unready. */
function nodeProxyProgress(registry: Registry, daemonSet: V1DaemonSet | undefined): NodeProxyProgress | undefined {
  if (registry.spec.nodeAccess === undefined) return undefined;
  const name = childNames(registryIdentity(registry).name).nodeProxy;
  if (daemonSet === undefined) return { reason: progressReasons.creating, message: `creating DaemonSet ${name}`, complete: false };
  const status = daemonSet.status;
  const desired = status?.desiredNumberScheduled ?? 0;
  const seen = (status?.observedGeneration ?? 0) >= (daemonSet.metadata?.generation ?? 0);
  const complete = seen && (status?.updatedNumberScheduled ?? 0) >= desired && (status?.numberAvailable ?? 0) >= desired;
  return { reason: progressReasons.rollingOut, message: `node proxy ready on ${status?.numberReady ?? 0} of ${desired} nodes`, complete };
}

function condition(type: string, status: ConditionUpdate['status'], finding: Finding): ConditionUpdate {
  return { type, status, reason: finding.reason, message: finding.message };
}
