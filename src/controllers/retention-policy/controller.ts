import { describeIssues } from '../../api/field-path.ts';
import { Registry } from '../../api/v1alpha1/registry.ts';
import { RetentionPolicy, type RetentionPolicyStatus } from '../../api/v1alpha1/retention-policy.ts';
import { defineController, type ControllerDefinition, type ReconcileContext, type ReconcileResult } from '../../runtime/controller.ts';
import { ApplyRejectedError, errorMessage, isConflict, isNotFound } from '../../runtime/errors.ts';
import type { KubeObject, ResourceType } from '../../runtime/resource.ts';
import type { PermissionRequirement } from '../../runtime/startup-checks.ts';
import { readRunRecord, reportJobLabel, reportPartName } from '../../retention/runner/report-configmaps.ts';
import { nextRunTime, ScheduleError } from '../../retention/schedule.ts';
import { registryNameLabel } from '../common/registry-children.ts';
import { SourceMissingError } from '../common/registry-access.ts';
import { credentialsCopy } from './credentials-copy.ts';
import { retentionCronJob, type RetentionCronJob } from './cron-job.ts';
import { isJobFinished, lastRunOf, latestJob, type LastRun, type RunJob } from './last-run.ts';
import { retentionGauges } from './metrics.ts';
import { credentialsSecretName, cronJobName, handledRunNowAnnotation, policyKeyOf } from './names.ts';
import { retentionReasons } from './reasons.ts';
import { isTargetProblem, retentionTarget } from './registry-target.ts';
import { copyReport } from './report-copy.ts';
import { resources, retentionTargets } from './resources.ts';
import { runNowDecision, runNowJob } from './run-now.ts';
import { composeStatus, type StatusInputs } from './status.ts';

/** Held while the policy's CronJob exists in the jobs namespace, where no ownerReference reaches. */
const cronJobFinalizer = 'dockyard.dev/retention-cronjob';
/** Index of the policies cache: `namespace/registry` of the Registry each policy cleans up. */
const byRegistryIndex = 'registry';
/** Index of the Jobs cache: `namespace/name` of the policy each Job runs. */
const byPolicyIndex = 'policy';

export interface RetentionPolicyControllerOptions {
  operatorImage: string;
  clusterDomain: string;
  /** Where the CronJobs, their Jobs and the credentials copies live: the operator's own namespace. */
  jobsNamespace: string;
  /** The ServiceAccount the runs use (installed with the operator; RBAC in manifests/). */
  jobsServiceAccount: string;
  now?: () => Date;
}

type Policy = KubeObject & { status?: RetentionPolicyStatus };

/**
 * The RetentionPolicy controller: a policy becomes a CronJob in the jobs namespace that runs
 * `dockyard retention run` as a ServiceAccount that can read workloads and nothing of a tenant's;
 * each run's outcome and report come back into the policy's status and namespace.
 */
export function retentionPolicyController(options: RetentionPolicyControllerOptions): ControllerDefinition {
  const targets = retentionTargets(options.jobsNamespace);
  const now = options.now ?? (() => new Date());
  const policiesOfRegistry = (
    namespace: string | undefined,
    name: string | undefined,
    caches: { cache: (t: typeof targets.retentionPolicies) => { byIndex: (i: string, v: string) => KubeObject[] } },
  ) => (namespace && name ? caches.cache(targets.retentionPolicies).byIndex(byRegistryIndex, `${namespace}/${name}`).map(keyOfObject) : []);
  return defineController<Policy>({
    name: 'retentionpolicy',
    root: targets.retentionPolicies,
    watches: [
      { target: targets.registries, map: (registry, caches) => policiesOfRegistry(registry.metadata?.namespace, registry.metadata?.name, caches) },
      {
        // A maintainer Secret rotating must reach the copies; a copy changed by hand is put back.
        target: targets.secrets,
        map: (secret, caches) => {
          const owner = policyKeyOf(secret.metadata?.annotations);
          if (owner !== undefined) return [owner];
          return policiesOfRegistry(secret.metadata?.namespace, secret.metadata?.labels?.[registryNameLabel], caches);
        },
      },
      { target: targets.cronJobs, map: (cronJob) => keysOf(policyKeyOf(cronJob.metadata?.annotations)) },
      { target: targets.jobs, map: (job) => keysOf(policyKeyOf(job.metadata?.annotations)) },
      {
        target: targets.stagedReports,
        map: (configMap, caches) => {
          const job = caches.cache(targets.jobs).get(`${options.jobsNamespace}/${configMap.metadata?.labels?.[reportJobLabel] ?? ''}`);
          return keysOf(policyKeyOf(job?.metadata?.annotations));
        },
      },
    ],
    indexes: [
      {
        target: targets.retentionPolicies,
        name: byRegistryIndex,
        keys: (policy) => {
          const name = (policy as { spec?: { registryRef?: { name?: unknown } } }).spec?.registryRef?.name;
          return typeof name === 'string' && policy.metadata?.namespace ? [`${policy.metadata.namespace}/${name}`] : [];
        },
      },
      { target: targets.jobs, name: byPolicyIndex, keys: (job) => keysOf(policyKeyOf(job.metadata?.annotations)) },
    ],
    maxConcurrentReconciles: 2,
    permissions: [
      ...needs(['get', 'create', 'patch', 'delete'], resources.cronJobs, 'the CronJob of each policy', { namespace: options.jobsNamespace }),
      ...needs(['create'], resources.jobs, 'a run started by the run-now annotation', { namespace: options.jobsNamespace }),
      ...needs(['get', 'patch'], resources.secrets, 'the credentials copy the runs mount', { namespace: options.jobsNamespace }),
      ...needs(['get'], resources.secrets, 'a retention credential or CA an external Registry names'),
      ...needs(['get'], resources.configMaps, 'the report a run left, and CA bundles'),
      ...needs(['list', 'patch', 'delete'], resources.configMaps, "the report in the policy's namespace"),
      ...needs(['patch'], resources.retentionPolicies, 'RetentionPolicy status', { subresource: 'status' }),
    ],
    gauges: retentionGauges(targets),
    async reconcile(key, context): Promise<ReconcileResult | void> {
      const object = context.object;
      if (object === undefined) return;
      const parsed = RetentionPolicy.safeParse(object);
      if (!parsed.success) {
        const problem = { reason: retentionReasons.invalidSpec, message: describeIssues(parsed.error).replaceAll('\n', '; ').slice(0, 1024) };
        await writeStatusAndEvents(context, object, { generation: object.metadata?.generation, previous: object.status, problem, suspended: false });
        return;
      }
      const policy = parsed.data;
      const namespace = policy.metadata.namespace ?? '';
      const name = policy.metadata.name ?? '';
      const cronJob = cronJobName(namespace, name);
      const outcome = await context.finalize(cronJobFinalizer, {
        apply: () => reconcilePolicy(),
        cleanup: async () => {
          await deleteIfPresent(context, resources.cronJobs, options.jobsNamespace, cronJob);
          context.log.info({ cronJob }, 'deleted the CronJob, its Jobs and the credentials copy before the policy goes');
        },
      });
      if (outcome.action === 'stale') return { requeueAfterMs: 1_000 };
      return outcome.action === 'applied' ? outcome.result : undefined;

      async function reconcilePolicy(): Promise<ReconcileResult | undefined> {
        const base: StatusInputs = { generation: policy.metadata.generation, previous: object?.status, suspended: policy.spec.suspend, now: now() };
        const registryObject = context.cache(targets.registries).get(`${namespace}/${policy.spec.registryRef.name}`);
        const registry = registryObject === undefined ? undefined : Registry.safeParse(registryObject);
        if (registry !== undefined && !registry.success) {
          const problem = {
            reason: retentionReasons.registryNotReady,
            message: `Registry ${policy.spec.registryRef.name} cannot be read; its own status says why`,
          };
          return settle({ ...base, problem });
        }
        const target = retentionTarget(registry?.data, policy.spec.registryRef.name, options.clusterDomain);
        if (isTargetProblem(target)) {
          // Without a usable Registry no run may start; the last run stays in the status.
          if (context.cache(targets.cronJobs).get(`${options.jobsNamespace}/${cronJob}`) !== undefined) {
            await deleteIfPresent(context, resources.cronJobs, options.jobsNamespace, cronJob);
          }
          return settle({ ...base, problem: target });
        }
        let next: Date | undefined;
        try {
          next = policy.spec.suspend ? undefined : nextRunTime(policy.spec.schedule, policy.spec.timeZone, now());
        } catch (error) {
          if (error instanceof ScheduleError) return settle({ ...base, problem: { reason: retentionReasons.invalidSpec, message: error.message } });
          throw error;
        }

        const live = context.cache<RetentionCronJob>(targets.cronJobs).get(`${options.jobsNamespace}/${cronJob}`);
        const handled = live?.metadata?.annotations?.[handledRunNowAnnotation];
        const jobs = context.cache<RunJob>(targets.jobs).byIndex(byPolicyIndex, key);
        const latest = latestJob(jobs);
        const record = latest === undefined ? undefined : stagedRecord(latest);
        const active = latest !== undefined && !isJobFinished(latest) && record === undefined ? latest.metadata?.name : undefined;
        const runNow = runNowDecision(policy.metadata.annotations, handled, cronJob, active);

        let applied: RetentionCronJob;
        const desired = (handledRunNow: string | undefined) =>
          retentionCronJob({
            policy: { namespace, name, spec: policy.spec },
            cronJobName: cronJob,
            jobsNamespace: options.jobsNamespace,
            image: options.operatorImage,
            serviceAccountName: options.jobsServiceAccount,
            registry: target,
            credentialsSecretName: credentialsSecretName(cronJob),
            ...(handledRunNow !== undefined ? { handledRunNow } : {}),
          });
        try {
          applied = (await context.apply(resources.cronJobs, desired(handled))).object;
          const copy = await credentialsCopy(
            target,
            {
              name: credentialsSecretName(cronJob),
              namespace: options.jobsNamespace,
              policyKey: key,
              owner: { name: cronJob, uid: applied.metadata?.uid ?? '' },
            },
            { cachedSecrets: context.cache(targets.secrets), client: context.client, signal: context.signal },
          );
          await context.apply(resources.secrets, copy);
        } catch (error) {
          if (error instanceof ApplyRejectedError) {
            return settle({ ...base, problem: { reason: retentionReasons.cronJobRejected, message: errorMessage(error).slice(0, 1024) } });
          }
          if (error instanceof SourceMissingError) return settle({ ...base, problem: { reason: retentionReasons.secretMissing, message: error.message } });
          throw error;
        }

        if (runNow.action === 'start') {
          try {
            await context.client.create(resources.jobs, runNowJob(applied, runNow.jobName, runNow.value), { fieldManager: 'dockyard' });
            context.recordEvent({
              type: 'Normal',
              reason: 'RunRequested',
              action: 'RunNow',
              note: `started Job ${runNow.jobName} for run-now value ${runNow.value}`,
            });
          } catch (error) {
            // The Job exists: a restart came between creating it and remembering the value.
            if (!isConflict(error)) throw error;
          }
          await context.apply(resources.cronJobs, desired(runNow.value));
        } else if (runNow.action === 'refuse') {
          context.recordEvent({
            type: 'Warning',
            reason: 'RunNowRefused',
            action: 'RunNow',
            note: `run-now value ${runNow.value} refused: Job ${runNow.activeJob} is still running; set a new value once it has ended`,
          });
          await context.apply(resources.cronJobs, desired(runNow.value));
        }

        const statusInputs: StatusInputs = {
          ...base,
          ...(target.ready ? {} : { registryNotReady: `Registry ${policy.spec.registryRef.name} is not Ready; scheduled runs fail until it is` }),
          ...(next !== undefined ? { nextRunTime: next } : {}),
        };
        if (latest !== undefined) {
          const lastRun = lastRunOf(latest, record);
          statusInputs.lastRun = lastRun;
          if (record !== undefined) {
            statusInputs.plan = record.plan;
            const alreadyCopied = object?.status?.lastRun?.jobName === lastRun.jobName && object?.status?.reportConfigMap !== undefined;
            if (!alreadyCopied && record.parts > 0) {
              const copied = await copyReport({
                jobsNamespace: options.jobsNamespace,
                jobName: lastRun.jobName ?? '',
                record,
                policy: { namespace, name, uid: policy.metadata.uid ?? '' },
                client: context.client,
                apply: context.apply,
                signal: context.signal,
              });
              if (copied !== undefined) statusInputs.reportConfigMap = copied;
            }
          }
        }
        await writeStatusAndEvents(context, object as Policy, statusInputs);
        // Look again when the next run is due, so nextRunTime moves on; events cover the rest.
        if (next === undefined) return undefined;
        const untilNext = next.getTime() - now().getTime() + 2_000;
        return untilNext < 10 * 60_000 ? { requeueAfterMs: Math.max(untilNext, 1_000) } : undefined;
      }

      async function settle(inputs: StatusInputs): Promise<undefined> {
        await writeStatusAndEvents(context, object as Policy, inputs);
        return undefined;
      }

      function stagedRecord(job: RunJob) {
        const staged = context
          .cache<KubeObject & { data?: Record<string, string> }>(targets.stagedReports)
          .get(`${options.jobsNamespace}/${reportPartName(`${job.metadata?.name ?? ''}-report`, 1)}`);
        return readRunRecord(staged?.data);
      }
    },
  });
}

/** Writes the status; when the last run changed, says so in an Event a `kubectl describe` reader sees. */
async function writeStatusAndEvents(context: ReconcileContext<Policy>, object: Policy, inputs: StatusInputs): Promise<void> {
  const status = composeStatus(inputs);
  const changed = await context.writeStatus(status);
  if (!changed) return;
  const before = object.status?.lastRun;
  const after = inputs.lastRun;
  if (after !== undefined) recordRunEvents(context, before, after);
  if (inputs.problem !== undefined && inputs.problem.reason !== findReason(object.status, 'Ready')) {
    context.recordEvent({ type: 'Warning', reason: inputs.problem.reason, action: 'Reconcile', note: inputs.problem.message.slice(0, 1000) });
  }
}

function recordRunEvents(context: ReconcileContext<Policy>, before: LastRun | undefined, after: LastRun): void {
  const sameJob = before?.jobName === after.jobName;
  if (!sameJob && after.outcome === undefined) {
    context.recordEvent({ type: 'Normal', reason: 'RunStarted', action: 'Run', note: `retention run started in Job ${after.jobName}` });
    return;
  }
  if (after.outcome === undefined || (sameJob && before?.outcome === after.outcome)) return;
  const counts = `${after.dryRun ? 'would delete' : 'deleted'} ${after.deleted ?? 0} manifests; kept ${after.kept ?? 0} (${after.protected ?? 0} protected) of ${after.evaluated ?? 0} evaluated`;
  if (after.outcome === 'Succeeded') {
    context.recordEvent({ type: 'Normal', reason: 'RunSucceeded', action: 'Run', note: `Job ${after.jobName}: ${counts}` });
  } else {
    const reason = after.outcome === 'Aborted' ? 'RunAborted' : 'RunFailed';
    context.recordEvent({ type: 'Warning', reason, action: 'Run', note: `Job ${after.jobName}: ${after.message ?? ''}`.slice(0, 1000) });
  }
}

function findReason(status: RetentionPolicyStatus | undefined, type: string): string | undefined {
  return status?.conditions?.find((condition) => condition.type === type && condition.status === 'False')?.reason;
}

async function deleteIfPresent(context: ReconcileContext<Policy>, resource: ResourceType, namespace: string, name: string): Promise<void> {
  try {
    await context.client.delete(resource, { namespace, name }, { propagationPolicy: 'Background', signal: context.signal });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

function keysOf(key: string | undefined): string[] {
  return key === undefined ? [] : [key];
}

function keyOfObject(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

function needs(verbs: string[], resource: ResourceType, reason: string, scope: { namespace?: string; subresource?: string } = {}): PermissionRequirement[] {
  return verbs.map((verb) => ({ verb, group: resource.group, resource: resource.plural, ...scope, reason }));
}
