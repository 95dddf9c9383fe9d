import { describe, expect, it } from 'vitest';
import { explainInsufficientScope, rewriteErrorMessage } from '../../../src/auth-server/refusal.ts';

const pullHolder = { subject: 'pull-1a2b', role: 'pull' as const, access: [{ type: 'repository', name: 'apps/web', actions: ['pull'] }] };

describe('explainInsufficientScope', () => {
  it('names the identity and the actions its token lacks', () => {
    expect(explainInsufficientScope(pullHolder, ['repository:apps/web:pull,push'])).toBe(
      'the pull credentials of this registry (pull-1a2b) cannot push to apps/web',
    );
    expect(explainInsufficientScope({ ...pullHolder, role: 'push', subject: 'push-9' }, ['repository:apps/web:delete'])).toBe(
      'the push credentials of this registry (push-9) cannot delete from apps/web',
    );
    expect(explainInsufficientScope({ subject: '', role: undefined, access: [] }, ['repository:apps/web:pull,push'])).toBe(
      'anonymous clients of this registry cannot pull or push to apps/web',
    );
    expect(explainInsufficientScope({ ...pullHolder, role: undefined }, ['registry:catalog:*'])).toBe(
      'the credentials pull-1a2b, which this registry no longer lists, cannot list the catalog of repositories',
    );
  });

  it('says nothing when the token holds every action asked for: the refusal is then not about scope', () => {
    expect(explainInsufficientScope(pullHolder, ['repository:apps/web:pull'])).toBeUndefined();
  });
});

describe('rewriteErrorMessage', () => {
  it("replaces the first error's message and keeps code and detail", () => {
    const body = '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Name":"a","Action":"push"}]}]}';
    expect(JSON.parse(rewriteErrorMessage(body, 'why')!)).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'why', detail: [{ Type: 'repository', Name: 'a', Action: 'push' }] }],
    });
    expect(rewriteErrorMessage('not json', 'why')).toBeUndefined();
  });
});
