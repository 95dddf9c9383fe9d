import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseImageId, parseImageReference } from '../../../src/oci/image-reference.ts';

const digest = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    ['main-registry.team-a.svc:5000/apps/web:v1', { host: 'main-registry.team-a.svc:5000', repository: 'apps/web', tag: 'v1' }],
    [`localhost:5000/apps/web@${digest}`, { host: 'localhost:5000', repository: 'apps/web', digest }],
    [`localhost/web:v2@${digest}`, { host: 'localhost', repository: 'web', tag: 'v2', digest }],
    ['nginx', { host: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.27', { host: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['apps/web:v1', { host: 'docker.io', repository: 'apps/web', tag: 'v1' }],
    ['Registry.Example.com/apps/web', { host: 'registry.example.com', repository: 'apps/web' }],
    ['[::1]:5000/apps/web', { host: '[::1]:5000', repository: 'apps/web' }],
  ])('reads %s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each(['', 'apps/Web', 'host:5000/apps/web:', 'apps//web', `apps/web@sha256:${'a'.repeat(10)}`, 'apps/web:-bad', ':tag'])('refuses %j', (text) => {
    expect(parseImageReference(text)).toBeUndefined();
  });

  it('reads back every reference it is given in the grammar (property)', () => {
    const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)?$/);
    fc.assert(
      fc.property(
        fc.constantFrom('registry.example.com', 'localhost:5000', 'main-registry.team-a.svc:5000'),
        fc.array(component, { minLength: 1, maxLength: 3 }),
        fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
        fc.option(fc.stringMatching(/^[a-f0-9]{64}$/), { nil: undefined }),
        (host, parts, tag, hex) => {
          const repository = parts.join('/');
          const text = `${host}/${repository}${tag !== undefined ? `:${tag}` : ''}${hex !== undefined ? `@sha256:${hex}` : ''}`;
          expect(parseImageReference(text)).toEqual({
            host,
            repository,
            ...(tag !== undefined ? { tag } : {}),
            ...(hex !== undefined ? { digest: `sha256:${hex}` } : {}),
          });
        },
      ),
    );
  });
});

describe('parseImageId', () => {
  it('reads the digest references container runtimes report', () => {
    expect(parseImageId(`docker-pullable://localhost:5000/apps/web@${digest}`)).toEqual({ host: 'localhost:5000', repository: 'apps/web', digest });
    expect(parseImageId(`main-registry.team-a.svc:5000/apps/web@${digest}`)).toMatchObject({ repository: 'apps/web', digest });
  });

  it('ignores a bare config digest and a reference without digest: they name no manifest of a repository', () => {
    expect(parseImageId(digest)).toBeUndefined();
    expect(parseImageId(`docker://${digest}`)).toBeUndefined();
    expect(parseImageId('localhost:5000/apps/web:v1')).toBeUndefined();
  });
});
