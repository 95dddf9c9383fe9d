import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DockyardRegistry, type RunningAuthServer } from '../../registry/dockyard-registry.ts';
import { debianRegistryAvailable, type RegistryFlavor } from '../../registry/local-registry.ts';
import { uploadBody } from '../../registry/raw-upload.ts';

// Issue 10, item 1: distribution answers an upload without a valid token with 401 before it
// reads the body (and closes). Through the door the client must get exactly that answer, the
// challenge pointing at the door, whatever the body's size and however the client sends it.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];
const sizesMiB = [1, 4, 16, 64];
const uploadPath = `/v2/apps/web/blobs/uploads/0b6b1a49-8c3e-4f5e-9b1e-3f1f1d2e9a01?digest=sha256:${'0'.repeat(64)}`;

describe.skipIf(inject('externalCluster')).each(flavors)('early answers through the door (%s)', (flavor) => {
  let dockyard: DockyardRegistry;
  let door: RunningAuthServer;
  let directChallenge: string;

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    dockyard = await DockyardRegistry.startFresh(flavor, inject('binDir'));
    door = await dockyard.startAuthServer();
    // What distribution itself says to the same upload, sent without a body.
    const direct = await fetch(`${dockyard.registry.url}${uploadPath}`, { method: 'PUT' });
    await direct.arrayBuffer();
    expect(direct.status).toBe(401);
    directChallenge = direct.headers.get('www-authenticate')!;
    expect(sortedScopeActions(directChallenge)).toContain('scope="repository:apps/web:pull,push"');
  });

  afterAll(async () => {
    await dockyard?.stop();
  });

  it.each(sizesMiB.flatMap((size) => [false, true].map((expectContinue) => ({ size, expectContinue }))))(
    'a $size MiB upload (Expect: 100-continue $expectContinue) gets the 401 and its challenge, whether the client asks for keep-alive or close',
    async ({ size, expectContinue }) => {
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (const agent of [false, keepAlive, keepAlive, false] as const) {
          const answer = await uploadBody(`${door.url}${uploadPath}`, { size: size * 1024 * 1024, expectContinue, agent });
          expect(answer.status).toBe(401);
          expect(sortedScopeActions(answer.headers['www-authenticate'])).toBe(
            sortedScopeActions(directChallenge.replace(/realm="[^"]*"/, `realm="${door.url}/auth/token"`)),
          );
          expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });
          // A client waiting for 100 Continue is answered without sending a byte.
          if (expectContinue) expect(answer.bytesSentBeforeAnswer).toBe(0);
        }
      } finally {
        keepAlive.destroy();
      }
    },
  );

  it('never answered 502 nor found distribution unreachable', () => {
    expect(dockyard.authServerLogs()).not.toContain('registry unreachable');
  });
});

/** 2.8 lists a scope's actions in map order, which changes from one answer to the next. */
function sortedScopeActions(challenge: string | undefined): string | undefined {
  return challenge?.replace(
    /scope="([^"]*):([^":]*)"/,
    (_match, resource: string, actions: string) => `scope="${resource}:${actions.split(',').sort().join(',')}"`,
  );
}
