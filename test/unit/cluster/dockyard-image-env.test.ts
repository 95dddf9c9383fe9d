import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockyardImageEnv } from '../../cluster/images/local-images.ts';

const root = new URL('../../../', import.meta.url).pathname;

describe('the Dockyard image environment', () => {
  it('is the same in the Dockerfile and in the image make images assembles', () => {
    const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const declared = [...finalStage.matchAll(/^ENV (\S+)=(\S+)$/gm)].map((match) => `${match[1]}=${match[2]}`);
    expect(declared.length).toBeGreaterThan(0);
    for (const variable of declared) expect(dockyardImageEnv).toContain(variable);
    expect(dockyardImageEnv.filter((variable) => !variable.startsWith('PATH='))).toEqual(declared);
  });

  it('holds Node options this Node accepts in NODE_OPTIONS (a refused one stops every Dockyard process at start)', () => {
    const options = dockyardImageEnv.find((variable) => variable.startsWith('NODE_OPTIONS='))!.slice('NODE_OPTIONS='.length);
    const output = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.env.NODE_OPTIONS))'], {
      env: { ...process.env, NODE_OPTIONS: options },
      encoding: 'utf8',
    });
    expect(output).toBe(options);
  });
});
