import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RepositoryName } from '../../../src/api/v1alpha1/formats.ts';
import { isDigest, isRepositoryName, isTag, referrersTagFor } from '../../../src/oci/reference.ts';
import { parseScopes, grantScopes } from '../../../src/registry-auth/scope.ts';

describe('the OCI name grammar', () => {
  it.each(['web', 'apps/web', 'a/b/c', 'my_app', 'my__app', 'web-frontend', 'web--x', 'a.b', '0/1'])('accepts the repository name %s', (name) => {
    expect(isRepositoryName(name)).toBe(true);
  });

  it.each(['', 'Apps/web', 'apps//web', '/web', 'web/', 'a___b', 'a..b', '-web', 'web-', 'registry.example:5000/web', `${'a'.repeat(256)}`])(
    'refuses the repository name %j',
    (name) => {
      expect(isRepositoryName(name)).toBe(false);
    },
  );

  it('is the grammar the CRDs check and the token service grants by', () => {
    const candidate = fc.oneof(fc.stringMatching(/^[a-z0-9._/-]{1,20}$/), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(candidate, (name) => {
        const valid = isRepositoryName(name);
        expect(RepositoryName.safeParse(name).success).toBe(valid);
        const [grant] = grantScopes({ role: 'maintainer' }, parseScopes([`repository:${name}:pull`]));
        expect(grant === undefined ? false : grant.actions.includes('pull')).toBe(valid);
      }),
    );
  });

  it('tells tags from digests', () => {
    expect(isTag('v1.2.3')).toBe(true);
    expect(isTag('_x')).toBe(true);
    expect(isTag('.x')).toBe(false);
    expect(isTag('a'.repeat(129))).toBe(false);
    expect(isTag(`sha256:${'a'.repeat(64)}`)).toBe(false);
    expect(isDigest(`sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isDigest('v1')).toBe(false);
  });

  it('names the referrers fallback tag as the OCI tag schema does', () => {
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    expect(referrersTagFor(digest)).toBe(`sha256-${'0123456789abcdef'.repeat(4)}`);
    expect(isTag(referrersTagFor(digest))).toBe(true);
  });
});
