import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchFiles, type FileSetWatcher } from '../../../src/auth-server/file-watch.ts';
import { eventually } from '../../support/eventually.ts';
import { SecretVolume } from '../../support/secret-volume.ts';

let watcher: FileSetWatcher | undefined;
let volume: SecretVolume | undefined;
afterEach(() => {
  watcher?.stop();
  volume?.remove();
});

describe('watchFiles', () => {
  it('hands over the files at start and again after kubelet swaps the volume', async () => {
    volume = new SecretVolume({ 'a.txt': 'one', 'b.txt': 'uno' });
    const seen: string[] = [];
    watcher = await watchFiles([join(volume.dir, 'a.txt'), join(volume.dir, 'b.txt')], {
      intervalMs: 10,
      onChange: (contents) => seen.push(contents.map(String).join('+')),
      onError: (error) => {
        throw error;
      },
    });
    expect(seen).toEqual(['one+uno']);
    volume.write({ 'a.txt': 'one', 'b.txt': 'dos' });
    await eventually(() => seen.length === 2, { what: 'the change to be seen', timeoutMs: 2_000, intervalMs: 10 });
    expect(seen[1]).toBe('one+dos');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toHaveLength(2); // unchanged content is not handed over again
  });

  it('reports a refused version once and hands over the next good one', async () => {
    volume = new SecretVolume({ 'identities.json': 'good-1' });
    const accepted: string[] = [];
    const errors: string[] = [];
    watcher = await watchFiles([join(volume.dir, 'identities.json')], {
      intervalMs: 10,
      onChange: ([content]) => {
        if (String(content).startsWith('bad')) throw new Error('refused');
        accepted.push(String(content));
      },
      onError: (error) => errors.push((error as Error).message),
    });
    volume.write({ 'identities.json': 'bad' });
    await eventually(() => errors.length === 1, { what: 'the refusal', timeoutMs: 2_000, intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual(['refused']);
    volume.write({ 'identities.json': 'good-2' });
    await eventually(() => accepted.length === 2, { what: 'the next good version', timeoutMs: 2_000, intervalMs: 10 });
    expect(accepted).toEqual(['good-1', 'good-2']);
  });

  it('fails at start when a file is missing', async () => {
    await expect(
      watchFiles([join(tmpdir(), 'dockyard-no-such-file')], { intervalMs: 10, onChange: () => undefined, onError: () => undefined }),
    ).rejects.toThrow('ENOENT');
  });
});
