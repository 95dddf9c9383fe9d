import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tarWithOneFile } from '../../registry/images.ts';

describe('tarWithOneFile', () => {
  it('writes an archive that GNU tar lists and extracts byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockyard-tar-'));
    try {
      const content = Buffer.from('hello from a layer\n'.repeat(40));
      await writeFile(join(dir, 'layer.tar'), tarWithOneFile('greeting.txt', content));
      const { stdout } = await promisify(execFile)('tar', ['-xvf', 'layer.tar'], { cwd: dir });
      expect(stdout.trim()).toBe('greeting.txt');
      expect((await readFile(join(dir, 'greeting.txt'))).equals(content)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
