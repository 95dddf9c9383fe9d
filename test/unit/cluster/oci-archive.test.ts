import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ociArchive } from '../../cluster/images/oci-layout.ts';
import { tarArchive } from '../../cluster/images/tar.ts';

const run = promisify(execFile);
const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockyard-oci-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function extract(archive: Buffer): Promise<void> {
  await writeFile(join(dir, 'archive.tar'), archive);
  await run('tar', ['-xf', 'archive.tar', '--no-same-owner'], { cwd: dir });
}

describe('tarArchive', () => {
  it('writes directories, files with their modes, symlinks and long paths that GNU tar extracts as written', async () => {
    const longDir = `a/${'d'.repeat(90)}`;
    const content = Buffer.from('#!/bin/sh\necho hi\n'.repeat(50));
    await extract(
      tarArchive([
        { type: 'directory', path: 'a' },
        { type: 'directory', path: longDir },
        { type: 'file', path: `${longDir}/${'f'.repeat(40)}`, data: content, mode: 0o755 },
        { type: 'symlink', path: 'a/link', target: 'target-elsewhere' },
      ]),
    );
    const file = join(dir, longDir, 'f'.repeat(40));
    expect((await readFile(file)).equals(content)).toBe(true);
    expect((await lstat(file)).mode & 0o777).toBe(0o755);
    expect(await readlink(join(dir, 'a/link'))).toBe('target-elsewhere');
  });

  it('refuses a path ustar cannot hold instead of writing a wrong name', () => {
    expect(() => tarArchive([{ type: 'file', path: 'x'.repeat(300), data: Buffer.from('') }])).toThrow(/too long/);
  });
});

describe('ociArchive', () => {
  it('lays out an OCI image whose index, manifest, config and layer refer to each other by digest', async () => {
    const { manifestDigest, archive } = ociArchive({
      name: 'dockyard.local/test:1',
      files: [
        { type: 'directory', path: 'bin' },
        { type: 'file', path: 'bin/tool', data: Buffer.from('tool'), mode: 0o755 },
      ],
      entrypoint: ['/bin/tool'],
      user: '65532:65532',
    });
    await extract(archive);
    const blob = (digest: string) => readFile(join(dir, 'blobs/sha256', digest.slice('sha256:'.length)));
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(manifestDigest);
    expect(index.manifests[0].annotations['io.containerd.image.name']).toBe('dockyard.local/test:1');
    expect(index.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('1');
    const manifestBytes = await blob(manifestDigest);
    expect(sha256(manifestBytes)).toBe(manifestDigest);
    const manifest = JSON.parse(manifestBytes.toString());
    const config = JSON.parse((await blob(manifest.config.digest)).toString());
    const layer = await blob(manifest.layers[0].digest);
    expect(sha256(layer)).toBe(manifest.layers[0].digest);
    expect(layer.byteLength).toBe(manifest.layers[0].size);
    expect(config.rootfs.diff_ids).toEqual([manifest.layers[0].digest]);
    expect(config.config).toMatchObject({ Entrypoint: ['/bin/tool'], User: '65532:65532' });
    await writeFile(join(dir, 'layer.tar'), layer);
    const { stdout } = await run('tar', ['-tvf', join(dir, 'layer.tar')]);
    expect(stdout).toMatch(/-rwxr-xr-x .* bin\/tool/);
  });

  it('gives the same digest for the same image, so re-imports change nothing', () => {
    const spec = { name: 'dockyard.local/same:1', files: [{ type: 'file' as const, path: 'x', data: Buffer.from('x') }], entrypoint: ['/x'] };
    expect(ociArchive(spec).manifestDigest).toBe(ociArchive(spec).manifestDigest);
  });
});
