import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistrySpec } from '../../../src/api/v1alpha1/registry.ts';
import { renderRegistryConfig } from '../../../src/controllers/registry/config.ts';
import { planCredentials } from '../../../src/registry-auth/credential-plan.ts';
import { conformanceBinary, runConformance, tally, type ConformanceRun } from '../../registry/conformance.ts';
import { DockyardRegistry } from '../../registry/dockyard-registry.ts';
import { debianRegistryAvailable, LocalRegistry, type RegistryFlavor } from '../../registry/local-registry.ts';

// The check that the door never changes what the registry does: the OCI distribution-spec
// conformance suite against distribution with Dockyard's config, once directly (its token auth
// taken out) and once through `dockyard auth-server` with the maintainer identity, which may do
// everything the suite tries. Every check must come out the same both ways; the suite's failures
// against distribution itself are upstream's and stay as they are.
const flavors: RegistryFlavor[] = ['distribution-3', 'distribution-2.8'];
const spec = RegistrySpec.parse({ storage: { emptyDir: {} } });
const namespace = 'team-a';
const name = 'main';

describe.skipIf(inject('externalCluster')).each(flavors)('OCI conformance, plain and through the door (%s)', (flavor) => {
  let plain: ConformanceRun;
  let throughDoor: ConformanceRun;

  beforeAll(async () => {
    if (flavor === 'distribution-2.8' && !debianRegistryAvailable()) throw new Error('Debian docker-registry is missing: run make tools');
    const binary = conformanceBinary(inject('binDir'));

    const direct = await LocalRegistry.start({
      flavor,
      binDir: inject('binDir'),
      config: ({ port, storageDirectory }) => {
        const config = parse(
          renderRegistryConfig(spec, { namespace, name, local: { httpAddress: `127.0.0.1:${port}`, storageDirectory, tokenCertificateFile: '/nonexistent' } }),
        );
        delete config.auth;
        return stringify(config);
      },
    });
    try {
      plain = await runConformance(binary, { registry: direct.host });
    } finally {
      await direct.stop();
    }

    const credentials = planCredentials({ identities: undefined, known: {}, rotation: undefined, rotationRequest: undefined, now: new Date() });
    const dockyard = await DockyardRegistry.start({ flavor, binDir: inject('binDir'), spec, namespace, name, credentials });
    try {
      const door = await dockyard.startAuthServer();
      throughDoor = await runConformance(binary, { registry: `127.0.0.1:${door.port}`, ...credentials.credentials.maintainer.published });
    } finally {
      await dockyard.stop();
    }
    process.stdout.write(
      `[conformance] ${flavor}: plain ${JSON.stringify(tally(plain.results))} in ${(plain.durationMs / 1000).toFixed(1)}s; ` +
        `through the door ${JSON.stringify(tally(throughDoor.results))} in ${(throughDoor.durationMs / 1000).toFixed(1)}s\n`,
    );
  }, 600_000);

  it('runs the whole suite both ways', () => {
    expect(plain.results.size).toBeGreaterThan(100);
    expect(tally(plain.results).passed).toBeGreaterThan(100);
    expect([...throughDoor.results.keys()].sort()).toEqual([...plain.results.keys()].sort());
  });

  it('gets the same result for every check through the door as from distribution directly', () => {
    const differences = [...plain.results]
      .filter(([check, statuses]) => throughDoor.results.get(check)?.join() !== statuses.join())
      .map(([check, statuses]) => `${check}: plain ${statuses.join()}, door ${throughDoor.results.get(check)?.join()}`);
    expect(differences).toEqual([]);
  });
});
