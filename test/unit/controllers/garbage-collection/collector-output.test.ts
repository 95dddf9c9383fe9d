import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCollectorOutput } from '../../../../src/controllers/registry/garbage-collection/collector-output.ts';

const digest = (hex: string) => `sha256:${hex.repeat(64).slice(0, 64)}`;

// The shapes of `registry garbage-collect --dry-run --delete-untagged` output, as 3.0.0 and
// Debian's 2.8.2 printed them on a registry with a deleted image, an untagged one and an index.
const distribution3 = `apps/multi
apps/multi: marking manifest ${digest('e4')}
apps/multi: marking blob ${digest('c8')}
apps/web
apps/web: marking manifest ${digest('8a')}
manifest eligible for deletion: {apps/web ${digest('1b')} [b]}
{"level":"info","msg":"some log line of the registry's logger","time":"2026-12-01T04:00:00Z"}

10 blobs marked, 2 blobs and 1 manifests eligible for deletion
blob eligible for deletion: ${digest('aa')}
blob eligible for deletion: ${digest('1b')}
apps/web: layer link eligible for deletion: ${digest('aa')}
`;

const distribution28 = `apps/multi
manifest eligible for deletion: ${digest('4f')}
manifest eligible for deletion: ${digest('60')}
apps/multi: marking manifest ${digest('ba')}
apps/web
apps/web: marking manifest ${digest('23')}
manifest eligible for deletion: ${digest('fc')}

6 blobs marked, 1 blobs and 3 manifests eligible for deletion
blob eligible for deletion: ${digest('fc')}
`;

describe('parseCollectorOutput', () => {
  it('reads the summary, the blobs and the manifests of 3.x output', () => {
    expect(parseCollectorOutput(distribution3)).toEqual({
      blobsMarked: 10,
      blobsEligible: 2,
      manifestsEligible: 1,
      eligibleBlobs: [digest('aa'), digest('1b')],
      eligibleManifests: [{ repository: 'apps/web', digest: digest('1b') }],
    });
  });

  it('takes the repository of a 2.8 manifest line from the repository being marked', () => {
    expect(parseCollectorOutput(distribution28).eligibleManifests).toEqual([
      { repository: 'apps/multi', digest: digest('4f') },
      { repository: 'apps/multi', digest: digest('60') },
      { repository: 'apps/web', digest: digest('fc') },
    ]);
  });

  it('refuses output without a summary line: the collector did not finish', () => {
    expect(() => parseCollectorOutput('apps/web\napps/web: marking manifest x\n')).toThrow('no summary line');
  });

  it('refuses output that lists fewer blobs than its summary counts', () => {
    expect(() => parseCollectorOutput('1 blobs marked, 2 blobs and 0 manifests eligible for deletion\n')).toThrow('incomplete');
  });

  it('finds every listed blob however the lines around it look', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{64}$/), { maxLength: 30 }), fc.array(fc.string(), { maxLength: 10 }), (hexes, noise) => {
        const blobs = hexes.map((hex) => `sha256:${hex}`);
        const text = [
          ...noise.map((line) => line.replace(/\n/g, ' ').replace(/eligible/g, '')),
          `7 blobs marked, ${blobs.length} blobs and 0 manifests eligible for deletion`,
          ...blobs.map((blob) => `blob eligible for deletion: ${blob}`),
        ].join('\n');
        const report = parseCollectorOutput(text);
        expect(report.eligibleBlobs).toEqual(blobs);
        expect(report.blobsMarked).toBe(7);
      }),
    );
  });
});
