/**
 * Image references as Kubernetes users write them (`registry.example.com:5000/apps/web:v1`,
 * `localhost:5000/apps/web@sha256:...`, `nginx`), parsed by the grammar of distribution's
 * reference package, with Docker's normalisation of names without a registry host. What a
 * kubelet pulls and what a reference here resolves to must agree, or retention would delete an
 * image the cluster runs.
 */
import { maxRepositoryNameLength, repositoryNameSource, tagSource } from './reference.ts';

export interface ImageReference {
  /** Registry host as written, lower-cased, with its port when one is given: `main-registry.team-a.svc:5000`. */
  host: string;
  /** Repository path inside that registry: `apps/web` (Docker Hub's `library/` prefix added for one-part names). */
  repository: string;
  tag?: string;
  /** `algorithm:hex`. */
  digest?: string;
}

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const digest = '[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}';
const referencePattern = new RegExp(`^(?:(${domain})/)?(${repositoryNameSource})(?::(${tagSource}))?(?:@(${digest}))?$`);

const dockerHub = 'docker.io';

/**
 * Parses a reference; undefined when it is not one (the caller must then treat it as "in use,
 * cannot tell by what", never as "not ours"). A first component counts as a registry host, as in
 * Docker, only when it has a dot or a port or is `localhost`.
 */
export function parseImageReference(text: string): ImageReference | undefined {
  const match = referencePattern.exec(text.trim());
  if (match === null) return undefined;
  let [, host, repository] = match;
  const [, , , tagPart, digestPart] = match;
  if (repository === undefined) return undefined;
  if (host !== undefined && !looksLikeHost(host)) {
    repository = `${host}/${repository}`;
    host = undefined;
  }
  if (host === undefined) {
    host = dockerHub;
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  if (repository.length > maxRepositoryNameLength) return undefined;
  return {
    host: normaliseHost(host),
    repository,
    ...(tagPart !== undefined ? { tag: tagPart } : {}),
    ...(digestPart !== undefined ? { digest: digestPart.toLowerCase() } : {}),
  };
}

/**
 * The `repository@digest` a container runtime reports in `status.containerStatuses[].imageID`:
 * `docker-pullable://host/repo@sha256:...` (dockershim, cri-dockerd) or `host/repo@sha256:...`
 * (containerd, CRI-O). A bare `sha256:...` is the image's config digest, which names no
 * repository: undefined, as is anything else that is not a digest reference.
 */
export function parseImageId(imageId: string): ImageReference | undefined {
  const withoutScheme = imageId.replace(/^[a-z-]+:\/\//, '');
  if (!withoutScheme.includes('@')) return undefined;
  const reference = parseImageReference(withoutScheme);
  return reference?.digest !== undefined ? reference : undefined;
}

/** Lower-cased, without a default port the client would add anyway. */
export function normaliseHost(host: string): string {
  return host.toLowerCase();
}

function looksLikeHost(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost' || part.startsWith('[') || /[A-Z]/.test(part);
}
