import { HttpMethod } from '@kubernetes/client-node';
import { isNotFound } from './errors.ts';
import type { KubeClient } from './kube-client.ts';

/** One thing the operator must be allowed to do, and why (for the error message). */
export interface PermissionRequirement {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Omitted: in every namespace (or a cluster-scoped resource). */
  namespace?: string;
  reason: string;
}

/** A served API the operator relies on, found through discovery. */
export interface ApiRequirement {
  group: string;
  version: string;
  plural: string;
  /** Named in the error: the CRD that serves it, e.g. "registries.dockyard.dev". */
  crdName: string;
}

/** Start-up found problems a restart cannot fix; the message lists every one of them. */
export class StartupCheckError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`start-up checks failed:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'StartupCheckError';
    this.problems = problems;
  }
}

/**
 * Fails fast, with every problem named, when the CRDs the controllers need are not served or the
 * credentials lack RBAC they need. CRDs are looked up through discovery, which every
 * authenticated user may read, so the check needs no permission of its own; RBAC through
 * SelfSubjectAccessReviews, one per verb and resource, which name exactly what is missing.
 */
export async function checkStartupRequirements(
  client: KubeClient,
  requirements: { apis: ApiRequirement[]; permissions: PermissionRequirement[] },
): Promise<void> {
  const [missingApis, deniedPermissions] = await Promise.all([
    Promise.all(requirements.apis.map((api) => missingApiProblem(client, api))),
    Promise.all(dedupe(requirements.permissions).map((permission) => deniedPermissionProblem(client, permission))),
  ]);
  const problems = [...missingApis, ...deniedPermissions].filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) throw new StartupCheckError(problems);
}

async function missingApiProblem(client: KubeClient, api: ApiRequirement): Promise<string | undefined> {
  const missing = `CustomResourceDefinition ${api.crdName} is not installed (${api.group}/${api.version} ${api.plural} is not served): install the CRDs, e.g. kubectl apply -f crds/`;
  try {
    const resources = await client.request<{ resources?: Array<{ name: string }> }>(HttpMethod.GET, `/apis/${api.group}/${api.version}`);
    return resources.resources?.some((resource) => resource.name === api.plural) ? undefined : missing;
  } catch (error) {
    if (isNotFound(error)) return missing;
    throw error;
  }
}

async function deniedPermissionProblem(client: KubeClient, permission: PermissionRequirement): Promise<string | undefined> {
  const review = await client.request<{ status?: { allowed?: boolean; reason?: string } }>(
    HttpMethod.POST,
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            verb: permission.verb,
            group: permission.group,
            resource: permission.resource,
            subresource: permission.subresource,
            namespace: permission.namespace,
          },
        },
      },
    },
  );
  if (review.status?.allowed) return undefined;
  const resource = `${permission.resource}${permission.subresource ? `/${permission.subresource}` : ''}${permission.group ? `.${permission.group}` : ''}`;
  const scope = permission.namespace ? `in namespace ${permission.namespace}` : 'in all namespaces';
  return `missing RBAC: cannot ${permission.verb} ${resource} ${scope} (needed for ${permission.reason})`;
}

function dedupe(permissions: PermissionRequirement[]): PermissionRequirement[] {
  const seen = new Map<string, PermissionRequirement>();
  for (const permission of permissions) {
    const key = [permission.verb, permission.group, permission.resource, permission.subresource ?? '', permission.namespace ?? ''].join('|');
    if (!seen.has(key)) seen.set(key, permission);
  }
  return [...seen.values()];
}
