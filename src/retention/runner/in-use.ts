import { parseImageId, parseImageReference, normaliseHost } from '../../oci/image-reference.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { KubeObject, ResourceType } from '../../runtime/resource.ts';
import type { InUseReference, InUseSet } from '../snapshot.ts';

/**
 * What the cluster runs, or could run again, from one registry: every image a Pod or a Pod
 * template references, reduced to `repository:tag` and `repository@digest` as the lists stream
 * in, so that a cluster of 10,000 Pods never holds 10,000 Pods in memory, only the references.
 */
export interface InUseScan {
  /** `repository:tag` -> the objects that use it (a sample, see maxUsersPerImage). */
  byTag: Map<string, string[]>;
  /** `repository@digest` -> the objects that use it. */
  byDigest: Map<string, string[]>;
  /**
   * References that name one of the registry's hosts but cannot be parsed: retention cannot
   * tell what they use, so the run keeps every image of the repository they seem to name (or of
   * the whole registry) and says so.
   */
  unparseable: Array<{ reference: string; usedBy: string }>;
  /** Objects read, per kind. */
  counts: Record<string, number>;
}

/** Kinds that carry Pod specs, in the order they are read. ReplicaSets include those kept for rollback. */
const podSpecReaders: ReadonlyArray<{ resource: ResourceType; podSpecs: (object: KubeObject) => Array<PodSpecLike | undefined> }> = [
  { resource: kind('', 'Pod', 'pods'), podSpecs: (pod) => [pod['spec'] as PodSpecLike | undefined] },
  { resource: kind('apps', 'Deployment', 'deployments'), podSpecs: templateSpec },
  { resource: kind('apps', 'StatefulSet', 'statefulsets'), podSpecs: templateSpec },
  { resource: kind('apps', 'DaemonSet', 'daemonsets'), podSpecs: templateSpec },
  { resource: kind('apps', 'ReplicaSet', 'replicasets'), podSpecs: templateSpec },
  { resource: kind('batch', 'Job', 'jobs'), podSpecs: templateSpec },
  {
    resource: kind('batch', 'CronJob', 'cronjobs'),
    podSpecs: (cronJob) => [(cronJob['spec'] as { jobTemplate?: { spec?: { template?: { spec?: PodSpecLike } } } })?.jobTemplate?.spec?.template?.spec],
  },
];

export const workloadKinds: ReadonlyArray<{ resource: ResourceType; podSpecs: (object: KubeObject) => PodSpecLike[] }> = podSpecReaders.map((entry) => ({
  resource: entry.resource,
  podSpecs: (object: KubeObject) => entry.podSpecs(object).filter((spec): spec is PodSpecLike => spec !== undefined),
}));

/** A kind that could not be listed: the run must not delete anything, since it cannot know what is in use. */
export class WorkloadsUnreadableError extends Error {
  constructor(kind: string, cause: unknown) {
    super(`could not list ${kind} across the cluster, so what is in use is unknown; nothing was deleted`, { cause });
    this.name = 'WorkloadsUnreadableError';
  }
}

interface ContainerLike {
  name?: string;
  image?: string;
}
interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  ephemeralContainers?: ContainerLike[];
}
interface ContainerStatusLike {
  name?: string;
  image?: string;
  imageID?: string;
}

/** How many users of one image the scan names: enough to explain, bounded in memory. */
const maxUsersPerImage = 5;

/** A scan that has read nothing yet. */
export function emptyInUseScan(): InUseScan {
  return { byTag: new Map(), byDigest: new Map(), unparseable: [], counts: {} };
}

/**
 * Adds what one object references from the registry answering to `hosts` to `scan`. Pure, so it
 * is tested without a cluster; `collectInUse` feeds it page by page.
 */
export function addObjectToScan(scan: InUseScan, kindName: string, object: KubeObject, podSpecs: PodSpecLike[], hosts: ReadonlySet<string>): void {
  const usedBy = `${kindName} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
  const note = (map: Map<string, string[]>, key: string, user: string) => {
    const users = map.get(key) ?? [];
    if (users.length < maxUsersPerImage && !users.includes(user)) users.push(user);
    map.set(key, users);
  };
  const consider = (text: string | undefined, container: string, fromStatus: boolean) => {
    if (text === undefined || text === '') return;
    const user = `${usedBy} container ${container}`;
    const reference = fromStatus ? parseImageId(text) : parseImageReference(text);
    if (reference === undefined) {
      if (!fromStatus && mentionsHost(text, hosts)) scan.unparseable.push({ reference: text, usedBy: user });
      return;
    }
    if (!hosts.has(reference.host)) return;
    if (reference.digest !== undefined) note(scan.byDigest, `${reference.repository}@${reference.digest}`, user);
    // A reference with both a tag and a digest pulls by digest; the tag still names the image to a reader.
    if (reference.tag !== undefined) note(scan.byTag, `${reference.repository}:${reference.tag}`, user);
    if (reference.tag === undefined && reference.digest === undefined) note(scan.byTag, `${reference.repository}:latest`, user);
  };
  for (const spec of podSpecs) {
    for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
      consider(container.image, container.name ?? '?', false);
    }
  }
  const status = object['status'] as
    | { containerStatuses?: ContainerStatusLike[]; initContainerStatuses?: ContainerStatusLike[]; ephemeralContainerStatuses?: ContainerStatusLike[] }
    | undefined;
  for (const containerStatus of [
    ...(status?.containerStatuses ?? []),
    ...(status?.initContainerStatuses ?? []),
    ...(status?.ephemeralContainerStatuses ?? []),
  ]) {
    consider(containerStatus.imageID, containerStatus.name ?? '?', true);
  }
  scan.counts[kindName] = (scan.counts[kindName] ?? 0) + 1;
}

/**
 * Lists every workload kind across the cluster in pages of `pageSize` and reduces each page to
 * references before reading the next. Any kind that cannot be listed aborts the scan
 * (WorkloadsUnreadableError), because a partial scan would make an in-use image look unused.
 */
export async function collectInUse(
  client: KubeClient,
  registryHosts: readonly string[],
  options: { pageSize?: number; signal?: AbortSignal; onPage?: (kind: string, objects: number) => void } = {},
): Promise<InUseScan> {
  const hosts = new Set(registryHosts.map(normaliseHost));
  const scan = emptyInUseScan();
  for (const { resource, podSpecs } of workloadKinds) {
    let continueToken: string | undefined;
    do {
      let page: Awaited<ReturnType<KubeClient['list']>>;
      try {
        page = await client.list(resource, { limit: options.pageSize ?? 500, continueToken, signal: options.signal });
      } catch (error) {
        throw new WorkloadsUnreadableError(resource.plural, error);
      }
      for (const object of page.items) addObjectToScan(scan, resource.kind, object, podSpecs(object), hosts);
      options.onPage?.(resource.kind, page.items.length);
      continueToken = page.metadata.continue || undefined;
    } while (continueToken !== undefined);
  }
  return scan;
}

function templateSpec(object: KubeObject): Array<PodSpecLike | undefined> {
  return [(object['spec'] as { template?: { spec?: PodSpecLike } } | undefined)?.template?.spec];
}

function kind(group: string, kindName: string, plural: string): ResourceType {
  return { group, version: 'v1', kind: kindName, plural, namespaced: true };
}

function mentionsHost(text: string, hosts: ReadonlySet<string>): boolean {
  const lower = text.toLowerCase();
  return [...hosts].some((host) => lower.startsWith(`${host}/`) || lower.includes(`//${host}/`));
}

/** The scan as the engine reads it: one reference per (image, user). */
export function inUseSetOf(scan: InUseScan): InUseSet {
  const references: InUseReference[] = [];
  for (const [key, users] of scan.byTag) {
    const colon = key.lastIndexOf(':');
    for (const usedBy of users) references.push({ repository: key.slice(0, colon), tag: key.slice(colon + 1), usedBy });
  }
  for (const [key, users] of scan.byDigest) {
    const at = key.indexOf('@');
    for (const usedBy of users) references.push({ repository: key.slice(0, at), digest: key.slice(at + 1), usedBy });
  }
  return { references, unparseable: scan.unparseable };
}
