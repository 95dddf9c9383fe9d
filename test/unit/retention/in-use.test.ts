import { describe, expect, it } from 'vitest';
import { addObjectToScan, emptyInUseScan, inUseSetOf, workloadKinds } from '../../../src/retention/runner/in-use.ts';

const digest = `sha256:${'b'.repeat(64)}`;
const hosts = new Set(['main-registry.team-a.svc:5000', 'localhost:5000']);
const specsOf = (kind: string) => workloadKinds.find((entry) => entry.resource.kind === kind)!.podSpecs;

describe('addObjectToScan', () => {
  it('keeps what a Pod references from this registry by tag, by digest and by the imageID it runs', () => {
    const scan = emptyInUseScan();
    const pod = {
      metadata: { namespace: 'team-b', name: 'web-1' },
      spec: {
        containers: [{ name: 'app', image: 'main-registry.team-a.svc:5000/apps/web:v3' }],
        initContainers: [{ name: 'init', image: `localhost:5000/tools/migrate@${digest}` }],
        ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }],
      },
      status: { containerStatuses: [{ name: 'app', imageID: `main-registry.team-a.svc:5000/apps/web@${digest}` }] },
    };
    addObjectToScan(scan, 'Pod', pod, specsOf('Pod')(pod), hosts);
    expect(Object.fromEntries(scan.byTag)).toEqual({ 'apps/web:v3': ['Pod team-b/web-1 container app'] });
    expect(Object.fromEntries(scan.byDigest)).toEqual({
      [`tools/migrate@${digest}`]: ['Pod team-b/web-1 container init'],
      [`apps/web@${digest}`]: ['Pod team-b/web-1 container app'],
    });
    expect(scan.unparseable).toEqual([]);
    expect(scan.counts).toEqual({ Pod: 1 });
    expect(inUseSetOf(scan).references).toEqual([
      { repository: 'apps/web', tag: 'v3', usedBy: 'Pod team-b/web-1 container app' },
      { repository: 'tools/migrate', digest, usedBy: 'Pod team-b/web-1 container init' },
      { repository: 'apps/web', digest, usedBy: 'Pod team-b/web-1 container app' },
    ]);
  });

  it('reads the Pod templates of CronJobs, and an untagged reference as :latest', () => {
    const scan = emptyInUseScan();
    const cronJob = {
      metadata: { namespace: 'ops', name: 'nightly' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'run', image: 'localhost:5000/ops/report' }] } } } } },
    };
    addObjectToScan(scan, 'CronJob', cronJob, specsOf('CronJob')(cronJob), hosts);
    expect([...scan.byTag.keys()]).toEqual(['ops/report:latest']);
  });

  it('names a reference to this registry that cannot be parsed, and ignores other registries', () => {
    const scan = emptyInUseScan();
    const deployment = {
      metadata: { namespace: 'team-c', name: 'api' },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'broken', image: 'localhost:5000/Apps/API:v1' },
              { name: 'elsewhere', image: 'registry.example.com/apps/api:v1' },
            ],
          },
        },
      },
    };
    addObjectToScan(scan, 'Deployment', deployment, specsOf('Deployment')(deployment), hosts);
    expect(scan.unparseable).toEqual([{ reference: 'localhost:5000/Apps/API:v1', usedBy: 'Deployment team-c/api container broken' }]);
    expect(scan.byTag.size).toBe(0);
  });

  it('names at most five users of one image, so memory stays bounded with thousands of replicas', () => {
    const scan = emptyInUseScan();
    for (let index = 0; index < 50; index++) {
      const pod = { metadata: { namespace: 'team-b', name: `web-${index}` }, spec: { containers: [{ name: 'app', image: 'localhost:5000/apps/web:v3' }] } };
      addObjectToScan(scan, 'Pod', pod, specsOf('Pod')(pod), hosts);
    }
    expect(scan.byTag.get('apps/web:v3')).toHaveLength(5);
    expect(scan.counts).toEqual({ Pod: 50 });
  });
});
