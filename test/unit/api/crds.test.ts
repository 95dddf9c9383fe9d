import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { customResourceDefinition } from '../../../src/api/crd.ts';
import { structuralSchema, type JsonSchemaProps } from '../../../src/api/structural-schema.ts';
import { kinds } from '../../../src/api/v1alpha1/index.ts';

const run = promisify(execFile);
const repository = join(import.meta.dirname, '../../..');

async function dockyard(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(repository, 'src/main.ts'), ...args], { cwd: repository });
  return stdout;
}

describe('dockyard crds', () => {
  // The chart carries its own copy: Helm installs CRDs only from the chart's crds/ folder.
  it.each(['crds', 'charts/dockyard/crds'])('writes what is committed under %s/', async (committed) => {
    const committedDirectory = join(repository, committed);
    const generatedDirectory = await mkdtemp(join(tmpdir(), 'dockyard-crds-'));
    try {
      await dockyard('crds', '--output-dir', generatedDirectory);
      const generated = (await readdir(generatedDirectory)).sort();
      expect((await readdir(committedDirectory)).sort(), `${committed}/ holds other files than \`dockyard crds\` writes: run \`make crds\``).toEqual(generated);
      for (const file of generated) {
        const text = await readFile(join(committedDirectory, file), 'utf8');
        expect(text, `${committed}/${file} differs from the schemas in src/api/v1alpha1: run \`make crds\` and commit the result`).toBe(
          await readFile(join(generatedDirectory, file), 'utf8'),
        );
      }
    } finally {
      await rm(generatedDirectory, { recursive: true, force: true });
    }
  });

  it('prints every CRD as one YAML stream without --output-dir', async () => {
    const documents = parseAllDocuments(await dockyard('crds')).map((document) => document.toJS() as { kind: string; metadata: { name: string } });
    expect(documents.map((document) => document.kind)).toEqual(['CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition']);
    expect(documents.map((document) => document.metadata.name).sort()).toEqual([
      'imagerepositories.dockyard.dev',
      'registries.dockyard.dev',
      'retentionpolicies.dockyard.dev',
    ]);
  });
});

interface SchemaNode {
  path: string;
  node: JsonSchemaProps;
  /** Whether the node is a field of an object (and so shows in `kubectl explain`). */
  isProperty: boolean;
}

/** Every node of a schema, depth first. */
function nodes(node: JsonSchemaProps, path = '', isProperty = false): SchemaNode[] {
  const children: SchemaNode[] = [];
  for (const [name, child] of Object.entries((node['properties'] as Record<string, JsonSchemaProps> | undefined) ?? {})) {
    children.push(...nodes(child, `${path}.${name}`, true));
  }
  if (node['items']) children.push(...nodes(node['items'] as JsonSchemaProps, `${path}[*]`));
  if (typeof node['additionalProperties'] === 'object') children.push(...nodes(node['additionalProperties'] as JsonSchemaProps, `${path}.*`));
  return [{ path, node, isProperty }, ...children];
}

function openApiSchema(kind: (typeof kinds)[number]): JsonSchemaProps {
  return customResourceDefinition(kind).spec.versions[0]!.schema.openAPIV3Schema as unknown as JsonSchemaProps;
}

describe.each(kinds.map((kind) => [kind.kind, kind] as const))('the CRD of %s', (_, kind) => {
  const all = nodes(openApiSchema(kind));

  it('is a structural schema: every node typed, nothing referenced, nothing closed', () => {
    for (const { path, node } of all) {
      const serialized = JSON.stringify(node);
      expect(serialized, path).not.toMatch(/"\$ref"|"\$defs"|"definitions"|"oneOf"|"allOf"|"not"|"const"/);
      expect(node['additionalProperties'], path).not.toBe(false);
      if (node['x-kubernetes-int-or-string'] === true) {
        expect(node['anyOf'], path).toEqual([{ type: 'integer' }, { type: 'string' }]);
      } else {
        expect(node['anyOf'], path).toBeUndefined();
        if (node['x-kubernetes-preserve-unknown-fields'] !== true)
          expect(['object', 'array', 'string', 'integer', 'number', 'boolean'], path).toContain(node['type']);
      }
      if (node['properties'] !== undefined)
        expect(node['additionalProperties'], `${path}: properties and additionalProperties exclude each other`).toBeUndefined();
    }
  });

  it('describes every field, for kubectl explain', () => {
    const undescribed = all.filter(({ isProperty, path, node }) => isProperty && path !== '.metadata' && !node['description']).map(({ path }) => path);
    expect(undescribed).toEqual([]);
  });

  it('bounds every string and list the CEL rules could see, to keep their cost estimate finite', () => {
    const unbounded = all
      .filter(({ path }) => path.startsWith('.spec'))
      .filter(
        ({ node }) =>
          (node['type'] === 'string' && node['maxLength'] === undefined && node['enum'] === undefined) ||
          (node['type'] === 'array' && node['maxItems'] === undefined),
      )
      .map(({ path }) => path);
    expect(unbounded).toEqual([]);
  });

  it('keeps conditions as a map keyed by type, so patches merge per condition', () => {
    const conditions = all.find(({ path }) => path === '.status.conditions')?.node;
    expect(conditions).toMatchObject({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
    expect((conditions!['items'] as JsonSchemaProps)['required']).toContain('type');
  });

  it('shows printer columns of fields that exist, with their types', () => {
    const byPath = new Map(all.map(({ path, node }) => [path, node]));
    for (const column of kind.printerColumns.filter((column) => !column.jsonPath.startsWith('.metadata'))) {
      const node = byPath.get(column.jsonPath);
      expect(node, `${column.name}: ${column.jsonPath}`).toBeDefined();
      const expectedType = column.type === 'date' ? 'string' : column.type;
      expect(node?.['type'], column.name).toBe(expectedType);
      if (column.type === 'date') expect(node?.['format'], column.name).toBe('date-time');
    }
  });

  it('names the same fields in CEL rules as in the schema', () => {
    for (const { path, node } of all) {
      for (const rule of (node['x-kubernetes-validations'] as { fieldPath?: string }[] | undefined) ?? []) {
        if (rule.fieldPath === undefined) continue;
        expect(
          all.some((other) => other.path === `${path}${rule.fieldPath}`),
          `${path}: fieldPath ${rule.fieldPath}`,
        ).toBe(true);
      }
    }
  });
});

describe('structuralSchema', () => {
  it('rejects a union of objects, which a CRD cannot express, naming the field', () => {
    const union = z.strictObject({ source: z.union([z.strictObject({ a: z.string() }), z.strictObject({ b: z.string() })]) });
    expect(() => structuralSchema(union)).toThrow(/\.source: anyOf/);
  });

  it('inlines a schema used twice rather than referencing it', () => {
    const shared = z.strictObject({ name: z.string() });
    const schema = structuralSchema(z.strictObject({ first: shared, second: shared }));
    expect(schema['properties']).toEqual({ first: expect.objectContaining({ type: 'object' }), second: expect.objectContaining({ type: 'object' }) });
  });

  it('hoists the pattern of an int-or-string to where a structural schema allows it', () => {
    const schema = structuralSchema(z.union([z.int(), z.string().regex(/^[0-9]+m$/)]).meta({ 'x-kubernetes-int-or-string': true }));
    expect(schema).toMatchObject({ anyOf: [{ type: 'integer' }, { type: 'string' }], pattern: '^[0-9]+m$', 'x-kubernetes-int-or-string': true });
    expect(schema['type']).toBeUndefined();
  });
});
