import { describeIssues } from '../../api/field-path.ts';
import { imageRepositoryKind, type ImageRepositoryStatus } from '../../api/v1alpha1/image-repository.ts';
import { resourceSchema } from '../../api/v1alpha1/resource.ts';
import { Registry } from '../../api/v1alpha1/registry.ts';
import { ForbiddenError, RegistryError, TokenRequestError, UnauthorizedError, UnreachableError } from '../../oci/errors.ts';
import { defineController, type ControllerDefinition, type ReconcileContext, type ReconcileResult } from '../../runtime/controller.ts';
import type { KubeObject, ResourceType } from '../../runtime/resource.ts';
import type { PermissionRequirement } from '../../runtime/startup-checks.ts';
import { registryNameLabel } from '../common/registry-children.ts';
import { readInventory } from './inventory.ts';
import { ManifestFactsCache } from './manifest-sizes.ts';
import { imageRepositoryReasons, type ImageRepositoryReason } from './reasons.ts';
import { RegistrySessions, recordsPeriodMs } from './registry-sessions.ts';
import { SourceMissingError } from '../common/registry-access.ts';
import { isTargetProblem, readCredentials, readTarget } from './registry-target.ts';
import { maxTokenWaitMs, registryBudget } from './rate-limiter.ts';
import { imageRepositoryTargets as targets, resources } from './resources.ts';
import { refreshDecision, type RefreshMemory } from './refresh.ts';
import { composeStatus, type Observation } from './status.ts';

/** The whole object's schema, spec checks included. */
const ImageRepository = resourceSchema(imageRepositoryKind);

/** `kubectl annotate imagerepository NAME dockyard.dev/refresh-now=<any new value>` reads the repository at once (within the budget). */
export const refreshNowAnnotation = 'dockyard.dev/refresh-now';

/** Index of the ImageRepositories cache: `namespace/registry` of the Registry each one is in. */
const byRegistryIndex = 'registry';

export interface ImageRepositoryControllerOptions {
  clusterDomain: string;
  /** Requests per second (and burst) each registry may receive from this controller. */
  budget?: { requestsPerSecond: number; burst: number };
  /** A full read of each repository at least this often (default 10 minutes, plus up to 10% jitter). */
  refreshPeriodMs?: number;
  now?: () => Date;
}

type ImageRepositoryObject = KubeObject & { status?: ImageRepositoryStatus };

/**
 * The ImageRepository controller: reads one repository of a Registry and reports its tags, size
 * and pushes. Reads are spread out: one listing of a registry's push records a minute at most,
 * shared, tells which repositories changed; a repository is read again when its records change,
 * its spec changes, or its slow period ends; every request to a registry waits for a token of
 * that registry's bucket, so the number of ImageRepositories never sets the request rate.
 */
export function imageRepositoryController(options: ImageRepositoryControllerOptions): ControllerDefinition {
  const now = options.now ?? (() => new Date());
  const periodMs = options.refreshPeriodMs ?? 10 * 60_000;
  const sessions = new RegistrySessions(options.budget ?? registryBudget);
  const manifests = new ManifestFactsCache();
  const memory = new Map<string, RefreshMemory>();
  const ofRegistry = (
    namespace: string | undefined,
    name: string | undefined,
    caches: { cache: (t: typeof targets.imageRepositories) => { byIndex: (i: string, v: string) => KubeObject[] } },
  ) => (namespace && name ? caches.cache(targets.imageRepositories).byIndex(byRegistryIndex, `${namespace}/${name}`).map(keyOfObject) : []);
  return defineController<ImageRepositoryObject>({
    name: 'imagerepository',
    root: targets.imageRepositories,
    watches: [
      { target: targets.registries, map: (registry, caches) => ofRegistry(registry.metadata?.namespace, registry.metadata?.name, caches) },
      { target: targets.secrets, map: (secret, caches) => ofRegistry(secret.metadata?.namespace, secret.metadata?.labels?.[registryNameLabel], caches) },
    ],
    indexes: [
      {
        target: targets.imageRepositories,
        name: byRegistryIndex,
        keys: (object) => {
          const name = (object as { spec?: { registryRef?: { name?: unknown } } }).spec?.registryRef?.name;
          return typeof name === 'string' && object.metadata?.namespace ? [`${object.metadata.namespace}/${name}`] : [];
        },
      },
    ],
    maxConcurrentReconciles: 4,
    // The reconcile always says when to look again; this only backs it up.
    periodicRequeueMs: periodMs,
    permissions: [
      ...needs(['get'], resources.secrets, 'the credentials and CA bundle an external Registry names'),
      ...needs(['get'], resources.configMaps, 'the CA bundle an external Registry names'),
      ...needs(['patch'], resources.imageRepositories, 'ImageRepository status', { subresource: 'status' }),
    ],
    async reconcile(key, context): Promise<ReconcileResult | void> {
      const object = context.object;
      if (object === undefined) {
        memory.delete(key);
        sessions.forgetReader(key);
        return;
      }
      const generation = object.metadata?.generation;
      const refreshRequest = object.metadata?.annotations?.[refreshNowAnnotation];
      const write = (observation: Observation) => writeStatusAndEvents(context, object, { generation, previous: object.status, observation, now: now() });
      const parsed = ImageRepository.safeParse(object);
      if (!parsed.success) {
        memory.delete(key);
        await write({ kind: 'problem', reason: imageRepositoryReasons.invalidSpec, message: describeIssues(parsed.error).replaceAll('\n', '; ') });
        return;
      }
      const { spec, metadata } = parsed.data;
      const namespace = metadata.namespace ?? '';
      const registryKey = `${namespace}/${spec.registryRef.name}`;
      const registryObject = context.cache(targets.registries).get(registryKey);
      const registry = registryObject === undefined ? undefined : Registry.safeParse(registryObject);
      if (registry !== undefined && !registry.success) {
        memory.delete(key);
        await write({
          kind: 'problem',
          reason: imageRepositoryReasons.registryNotReady,
          message: `Registry ${spec.registryRef.name} cannot be read; its own status says why`,
        });
        return;
      }
      const target = readTarget(registry?.data, spec.registryRef.name, options.clusterDomain);
      if (isTargetProblem(target)) {
        if (registry === undefined) sessions.forget(registryKey);
        memory.delete(key);
        await write({ kind: 'problem', ...target });
        return;
      }
      if (!target.ready) {
        memory.delete(key);
        await write({
          kind: 'problem',
          reason: imageRepositoryReasons.registryNotReady,
          message: `Registry ${spec.registryRef.name} is not Ready; the repository is read once it is`,
        });
        return;
      }

      let observation: Observation;
      let fingerprint: string | undefined;
      try {
        const reading = await readCredentials(target, { cachedSecrets: context.cache(targets.secrets), client: context.client, signal: context.signal });
        const session = sessions.of(registryKey, target, reading);
        const records = target.pushRecords ? await session.pushRecords(now().getTime(), maxTokenWaitMs, context.signal) : undefined;
        const repositoryRecords = records?.snapshot?.of(spec.repository);
        fingerprint = records?.snapshot === undefined ? undefined : (repositoryRecords?.fingerprint ?? 'none');
        const decision = refreshDecision({
          memory: memory.get(key),
          generation,
          fingerprint,
          session: session.identity,
          refreshRequest,
          now: now().getTime(),
          periodMs,
          recordsPeriodMs,
          waitMs: session.bucket.waitMs(),
          maxWaitMs: maxTokenWaitMs,
          deferred: session.deferred.size + 1,
          requestsPerSecond: session.bucket.ratePerSecond,
        });
        if (decision.action === 'wait') {
          if (session.bucket.waitMs() > maxTokenWaitMs) session.deferred.add(key);
          return { requeueAfterMs: decision.afterMs };
        }
        session.deferred.delete(key);
        const inventory = await readInventory(session.client, spec.repository, manifests, () => session.bucket.take(context.signal));
        observation = inventory.found
          ? {
              kind: 'found',
              contents: {
                tags: inventory.tags,
                sizeBytes: inventory.sizeBytes,
                ...(records?.snapshot !== undefined ? { pushes: repositoryRecords?.pushes ?? [] } : {}),
              },
            }
          : { kind: 'not-found', message: inventory.message };
        memory.set(key, { at: now().getTime(), generation, fingerprint, session: session.identity, ok: true, refreshRequest, jitter: Math.random() });
      } catch (error) {
        const problem = problemOf(error);
        if (problem === undefined) throw error;
        observation = { kind: 'problem', ...problem };
        memory.set(key, { at: now().getTime(), generation, fingerprint, session: '', ok: false, refreshRequest, jitter: Math.random() });
      }
      await write(observation);
      const next = refreshDecision({
        memory: memory.get(key),
        generation,
        fingerprint,
        session: memory.get(key)?.session ?? '',
        refreshRequest,
        now: now().getTime(),
        periodMs,
        recordsPeriodMs,
        waitMs: 0,
        maxWaitMs: maxTokenWaitMs,
        deferred: 0,
        requestsPerSecond: 1,
      });
      return { requeueAfterMs: next.action === 'wait' ? next.afterMs : recordsPeriodMs };
    },
  });
}

/** What a failed read means for the user; undefined for what is not the registry's doing (thrown, retried with backoff). */
function problemOf(error: unknown): { reason: ImageRepositoryReason; message: string } | undefined {
  const message = error instanceof Error ? error.message.slice(0, 1024) : String(error);
  if (error instanceof SourceMissingError) return { reason: imageRepositoryReasons.secretMissing, message };
  if (error instanceof UnauthorizedError || error instanceof ForbiddenError || error instanceof TokenRequestError)
    return { reason: imageRepositoryReasons.unauthorized, message };
  if (error instanceof UnreachableError) return { reason: imageRepositoryReasons.unreachable, message };
  if (error instanceof RegistryError) return { reason: imageRepositoryReasons.registryError, message };
  return undefined;
}

async function writeStatusAndEvents(
  context: ReconcileContext<ImageRepositoryObject>,
  object: ImageRepositoryObject,
  inputs: Parameters<typeof composeStatus>[0],
): Promise<void> {
  const changed = await context.writeStatus(composeStatus(inputs));
  const observation = inputs.observation;
  if (!changed || observation.kind !== 'problem') return;
  const before = object.status?.conditions?.find((condition) => condition.type === 'Degraded' && condition.status === 'True')?.reason;
  if (before !== observation.reason)
    context.recordEvent({ type: 'Warning', reason: observation.reason, action: 'Reconcile', note: observation.message.slice(0, 1000) });
}

function keyOfObject(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

function needs(verbs: string[], resource: ResourceType, reason: string, scope: { subresource?: string } = {}): PermissionRequirement[] {
  return verbs.map((verb) => ({ verb, group: resource.group, resource: resource.plural, ...scope, reason }));
}
