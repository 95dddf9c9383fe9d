/**
 * The grammar of names in the OCI distribution API (repository names, tags, digests), as
 * distribution's reference package and the OCI distribution spec define them. The CRDs carry
 * these same expressions as `pattern` (src/api/v1alpha1/formats.ts) and the token service checks
 * scopes with them (src/registry-auth/scope.ts), so every expression here must stay valid RE2:
 * no lookaround, no backreferences. This module imports nothing, so that the API's schemas and
 * the registry Pod's token service can share it without loading the client.
 */

/** One path component of a repository name: `apps`, `web-frontend`, `my_app`, `a.b`. */
export const repositoryComponentSource = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';

/** A repository name without a registry host: path components separated by `/`. */
export const repositoryNameSource = `${repositoryComponentSource}(?:/${repositoryComponentSource})*`;

/** distribution refuses longer names (NAME_INVALID); the CRDs cap them the same way. */
export const maxRepositoryNameLength = 255;

export const tagSource = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';

/** The digests this client computes and checks; registries accept sha512 too, which it only passes through. */
export const sha256DigestSource = 'sha256:[a-f0-9]{64}';

/** `algorithm:encoded`, per the OCI image spec's descriptor grammar. */
export const digestSource = '[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+';

const repositoryName = new RegExp(`^${repositoryNameSource}$`);
const tag = new RegExp(`^${tagSource}$`);
const digest = new RegExp(`^${digestSource}$`);

export function isRepositoryName(name: string): boolean {
  return name.length <= maxRepositoryNameLength && repositoryName.test(name);
}

export function isTag(reference: string): boolean {
  return tag.test(reference);
}

export function isDigest(reference: string): boolean {
  return digest.test(reference);
}

/**
 * The tag the OCI referrers tag schema uses for the referrers of `digest` where a registry has
 * no referrers API: `sha256:abc...` becomes `sha256-abc...` (truncated to a tag's 128 characters).
 */
export function referrersTagFor(subjectDigest: string): string {
  return subjectDigest.replace(':', '-').slice(0, 128);
}
