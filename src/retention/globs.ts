import picomatch from 'picomatch';

// The CRD's patterns (TagGlob, RepositoryGlob in src/api/v1alpha1/formats.ts) admit only
// literals, `*`, `?` and `**`; with braces, extglobs and negation off, picomatch gives those
// characters no other meaning, so what the apiserver accepts is exactly what is matched here.
const literalGlobs: picomatch.PicomatchOptions = { nobrace: true, noextglob: true, nonegate: true, dot: true, windows: false };

export type NameMatcher = (name: string) => boolean;

/**
 * Matches tags against a rule's globs (`*` and `?`); a rule without globs applies to every tag.
 */
export function tagMatcher(globs: readonly string[] | undefined): NameMatcher {
  if (globs === undefined) return () => true;
  return picomatch([...globs], literalGlobs);
}

/**
 * Matches repository names against the policy's globs: `*` and `?` within a path component,
 * `**` across any number of them (`apps/**` takes `apps/web`, `apps/a/b`, and `apps` itself).
 */
export function repositoryMatcher(globs: readonly string[]): NameMatcher {
  return picomatch([...globs], literalGlobs);
}
