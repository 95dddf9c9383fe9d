import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const projectRoot = new URL('../../', import.meta.url).pathname;

/**
 * The import rules of `make lint` are only worth something if they fire. Each case lays out a
 * scratch tree with the project's own .dependency-cruiser.cjs and one import that breaks (or
 * keeps) a rule, and runs dependency-cruiser on it as `make lint` does.
 */
// Each case runs dependency-cruiser in a child process: seconds each, more on a loaded machine.
describe('import rules (.dependency-cruiser.cjs)', { timeout: 60_000 }, () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'dockyard-import-rules-'));
    await cp(join(projectRoot, '.dependency-cruiser.cjs'), join(scratch, '.dependency-cruiser.cjs'));
    await cp(join(projectRoot, 'tsconfig.json'), join(scratch, 'tsconfig.json'));
    await symlink(join(projectRoot, 'node_modules'), join(scratch, 'node_modules'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function violations(files: Record<string, string>): Promise<string[]> {
    const tree = await mkdtemp(join(scratch, 'case-'));
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(scratch, 'src', path)), { recursive: true });
      await writeFile(join(scratch, 'src', path), text);
    }
    try {
      const bin = join(projectRoot, 'node_modules/.bin/depcruise');
      const { stdout } = await run(bin, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: scratch }).catch(
        (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
      );
      const report = JSON.parse(stdout) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
      return report.summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} -> ${violation.to}`);
    } finally {
      await rm(join(scratch, 'src'), { recursive: true, force: true });
      await rm(tree, { recursive: true, force: true });
    }
  }

  it('refuses src/runtime/ importing src/api/', async () => {
    const found = await violations({
      'api/v1alpha1/registry.ts': 'export const kind = "Registry";\n',
      'runtime/controller.ts': "import { kind } from '../api/v1alpha1/registry.ts';\nexport const root = kind;\n",
    });
    expect(found).toContain('runtime-knows-no-kind: src/runtime/controller.ts -> src/api/v1alpha1/registry.ts');
  });

  it('refuses src/oci/ importing the Kubernetes client', async () => {
    const found = await violations({
      'oci/client.ts': "import { KubeConfig } from '@kubernetes/client-node';\nexport const config = new KubeConfig();\n",
    });
    expect(
      found.some((line) => line.startsWith('oci-knows-no-kubernetes: src/oci/client.ts -> ') && line.includes('node_modules/@kubernetes/client-node/')),
    ).toBe(true);
  });

  it('refuses the retention engine reaching HTTP, and lets its job runner use the OCI client', async () => {
    const found = await violations({
      'oci/client.ts': 'export const client = {};\n',
      'retention/engine.ts': "import { request } from 'undici';\nexport const send = request;\n",
      'retention/runner/run.ts': "import { client } from '../../oci/client.ts';\nexport const used = client;\n",
    });
    expect(found.filter((line) => line.startsWith('retention-engine-is-pure:'))).toEqual([
      expect.stringMatching(/^retention-engine-is-pure: src\/retention\/engine\.ts -> .*node_modules\/undici\//),
    ]);
  });

  it('lets the API read the OCI name grammar and nothing else of the client, and keeps that grammar a leaf', async () => {
    const found = await violations({
      'oci/client.ts': 'export const client = {};\n',
      'oci/reference.ts': "import { client } from './client.ts';\nexport const grammar = client;\n",
      'api/v1alpha1/formats.ts': "import { grammar } from '../../oci/reference.ts';\nexport const pattern = grammar;\n",
      'api/v1alpha1/registry.ts': "import { client } from '../../oci/client.ts';\nexport const used = client;\n",
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'api-is-data: src/api/v1alpha1/registry.ts -> src/oci/client.ts',
        'oci-grammar-imports-nothing: src/oci/reference.ts -> src/oci/client.ts',
      ]),
    );
    expect(found.some((line) => line.startsWith('api-is-data: src/api/v1alpha1/formats.ts'))).toBe(false);
  });

  it('refuses the auth server importing a controller, and one controller importing another', async () => {
    const found = await violations({
      'controllers/registry/layout.ts': 'export const port = 5000;\n',
      'controllers/common/names.ts': 'export const label = "x";\n',
      'controllers/retention-policy/job.ts':
        "import { port } from '../registry/layout.ts';\nimport { label } from '../common/names.ts';\nexport const both = [port, label];\n",
      'auth-server/server.ts': "import { port } from '../controllers/registry/layout.ts';\nexport const listen = port;\n",
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'pod-side-imports-no-controller: src/auth-server/server.ts -> src/controllers/registry/layout.ts',
        'controllers-stay-apart: src/controllers/retention-policy/job.ts -> src/controllers/registry/layout.ts',
      ]),
    );
    expect(found.some((line) => line.includes('common/names.ts'))).toBe(false);
  });

  it('passes a tree that keeps the rules', async () => {
    const found = await violations({
      'api/v1alpha1/registry.ts': 'export const kind = "Registry";\n',
      'runtime/controller.ts': 'export const runtime = 1;\n',
      'controllers/registry/controller.ts':
        "import { kind } from '../../api/v1alpha1/registry.ts';\nimport { runtime } from '../../runtime/controller.ts';\nexport const both = [kind, runtime];\n",
    });
    expect(found).toEqual([]);
  });
});
