import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { recordEnv } from '../../cluster/real-node/host-teardown.ts';

const run = promisify(execFile);

describe('recordEnv', () => {
  it('reads back in bash exactly as recorded, quotes and spaces included', async () => {
    const record = {
      nodeDir: "/tmp/dockyard-cluster-it's here/node",
      containerdSocket: '/tmp/x/node/containerd.sock',
      sysctls: [
        ['net/ipv4/ip_forward', '0'],
        ['kernel/panic', '1'],
      ] as [string, string][],
      netnsBefore: ['cni-a', 'other'],
      createdDirs: ['/run/containerd', '/var/lib/cni'],
    };
    const script = `${recordEnv(record)}\nprintf '%s\\n' "$node_dir" "$netns_before" "$sysctls" "$created_dirs" "$bridge"`;
    const { stdout } = await run('bash', ['-c', script]);
    expect(stdout.split('\n').slice(0, 5)).toEqual([
      record.nodeDir,
      'cni-a other',
      'net/ipv4/ip_forward=0 kernel/panic=1',
      '/run/containerd /var/lib/cni',
      'dockyard0',
    ]);
  });
});
