import { describe, expect, it } from 'vitest';
import type { Role } from '../../../src/registry-auth/identities.ts';
import { formatScope, grantScopes, parseScopes, type Requester } from '../../../src/registry-auth/scope.ts';

describe('parseScopes', () => {
  it('reads type, name and actions; the name may hold colons', () => {
    expect(parseScopes(['repository:apps/web:pull,push', 'repository:localhost:5000/apps/web:pull'])).toEqual([
      { type: 'repository', name: 'apps/web', actions: ['pull', 'push'] },
      { type: 'repository', name: 'localhost:5000/apps/web', actions: ['pull'] },
    ]);
  });

  it('splits space-separated scopes (OAuth2 form) and drops malformed ones', () => {
    expect(parseScopes(['repository:a:pull registry:catalog:*', 'nonsense', ':a:pull', 'repository:b'])).toEqual([
      { type: 'repository', name: 'a', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });
});

const role = (name: Role): Requester => ({ role: name });
const anonymous = (anonymousPull: boolean): Requester => ({ anonymous: true, anonymousPull });

describe('grantScopes: the access table', () => {
  const pullPushDelete = parseScopes(['repository:apps/web:pull,push,delete']);
  it.each<[string, Requester, string[]]>([
    ['pull', role('pull'), ['pull']],
    ['push', role('push'), ['pull', 'push']],
    ['maintainer', role('maintainer'), ['pull', 'push', 'delete']],
    ['anonymous, anonymous pull on', anonymous(true), ['pull']],
    ['anonymous, anonymous pull off', anonymous(false), []],
  ])('%s asking for pull,push,delete gets %j', (_name, requester, actions) => {
    expect(grantScopes(requester, pullPushDelete)).toEqual([{ type: 'repository', name: 'apps/web', actions }]);
  });

  it('grants only what was asked for', () => {
    expect(grantScopes(role('maintainer'), parseScopes(['repository:apps/web:pull']))[0]!.actions).toEqual(['pull']);
  });

  it('turns "*" into the permitted actions by name, never into a wildcard', () => {
    expect(grantScopes(role('push'), parseScopes(['repository:apps/web:*']))[0]!.actions).toEqual(['pull', 'push']);
    expect(grantScopes(role('pull'), parseScopes(['repository:apps/web:*']))[0]!.actions).toEqual(['pull']);
  });

  it('lists the catalog for the maintainer only', () => {
    const catalog = parseScopes(['registry:catalog:*']);
    expect(grantScopes(role('maintainer'), catalog)[0]!.actions).toEqual(['*']);
    for (const requester of [role('push'), role('pull'), anonymous(true)]) expect(grantScopes(requester, catalog)[0]!.actions).toEqual([]);
  });

  it('refuses unknown types, resource classes and invalid repository names', () => {
    const odd = parseScopes([
      'repository(plugin):apps/web:pull',
      'registry:other:*',
      'repository:Apps/Web:pull',
      'repository:a//b:pull',
      `repository:${'a'.repeat(256)}:pull`,
    ]);
    expect(grantScopes(role('maintainer'), odd).map((access) => access.actions)).toEqual([[], [], [], [], []]);
  });

  it('formats a grant back into scope syntax', () => {
    expect(formatScope({ type: 'repository', name: 'apps/web', actions: ['pull', 'push'] })).toBe('repository:apps/web:pull,push');
  });
});
