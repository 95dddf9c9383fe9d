import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { describeIssues, issueFieldPaths } from '../../../src/api/field-path.ts';
import { ImageRepositorySpec, kindNamed, RegistrySpec, resourceSchema, RetentionPolicySpec } from '../../../src/api/v1alpha1/index.ts';
import { dockyardSamples, samplesDirectory } from '../../support/samples.ts';
import { invalidObjects, validImageRepositorySpec, validRegistrySpec, validRetentionPolicySpec } from '../../support/invalid-objects.ts';

function schemaOf(kind: string) {
  const definition = kindNamed(kind);
  if (!definition) throw new Error(`no kind ${kind} in dockyard.dev/v1alpha1`);
  return resourceSchema(definition);
}

describe('samples', () => {
  const samples = dockyardSamples();

  it('cover every kind and every storage mode', () => {
    expect(new Set(samples.map((sample) => sample.object.kind))).toEqual(new Set(['Registry', 'ImageRepository', 'RetentionPolicy']));
    const registrySpecs = samples.filter((sample) => sample.object.kind === 'Registry').map((sample) => RegistrySpec.parse(sample.object.spec));
    const modes = registrySpecs.map((spec) => (spec.external ? 'external' : Object.keys(spec.storage ?? {}).find((key) => key !== 'deletionPolicy')));
    expect(new Set(modes)).toEqual(new Set(['persistentVolumeClaim', 'emptyDir', 's3', 'external']));
  });

  it.each(samples.map((sample) => [`${sample.file}: ${sample.object.kind} ${sample.object.metadata.name}`, sample] as const))('%s parses', (_, sample) => {
    const result = schemaOf(sample.object.kind).safeParse(sample.object);
    expect(result.success, result.error && describeIssues(result.error)).toBe(true);
  });
});

// The examples of the product design must be accepted exactly as written; the samples carry them.
const designDocument = join(import.meta.dirname, '../../../../shared/DESIGN.md');

// Read inside the tests: vitest runs a skipped describe's body too, to collect its tests.
function designExamples(): string[] {
  const fence = /```yaml\n([\s\S]*?)```/.exec(readFileSync(designDocument, 'utf8'));
  return fence?.[1]?.split(/^---\n/m) ?? [];
}

describe.skipIf(!existsSync(designDocument))('the examples of DESIGN.md', () => {
  it('are in the samples verbatim', () => {
    const examples = designExamples();
    expect(examples).toHaveLength(2);
    for (const [example, file] of [
      [examples[0], 'registry-pvc.yaml'],
      [examples[1], 'retention-policy.yaml'],
    ] as const) {
      expect(readFileSync(join(samplesDirectory, file), 'utf8')).toContain(example);
    }
  });

  it('parse', () => {
    for (const example of designExamples()) {
      const object = parseAllDocuments(example)[0]?.toJS() as { kind: string };
      const result = schemaOf(object.kind).safeParse(object);
      expect(result.success, result.error && describeIssues(result.error)).toBe(true);
    }
  });
});

describe('defaults', () => {
  it('fill a minimal RetentionPolicy with the safe settings', () => {
    const spec = RetentionPolicySpec.parse(validRetentionPolicySpec);
    expect(spec).toMatchObject({ keepInUse: true, dryRun: false, suspend: false, untaggedManifests: 'Keep' });
    expect(spec.maxDeletionsPerRun).toBeGreaterThan(0);
    expect(spec.minTagsPerRepository).toBeGreaterThanOrEqual(1);
  });

  it('retain the images of a deleted Registry unless asked otherwise', () => {
    expect(RegistrySpec.parse(validRegistrySpec).storage?.deletionPolicy).toBe('Retain');
  });

  it('leave image and replicas to the operator, so an external Registry stays free of them', () => {
    const spec = RegistrySpec.parse({ external: { url: 'http://127.0.0.1:5000' } });
    expect(spec).not.toHaveProperty('image');
    expect(spec).not.toHaveProperty('replicas');
  });
});

describe('invalid objects', () => {
  it('start from valid specs, so each case has exactly the fault it names', () => {
    expect(RegistrySpec.safeParse(validRegistrySpec).success).toBe(true);
    expect(ImageRepositorySpec.safeParse(validImageRepositorySpec).success).toBe(true);
    expect(RetentionPolicySpec.safeParse(validRetentionPolicySpec).success).toBe(true);
  });

  it('number at least 25', () => {
    expect(invalidObjects.length).toBeGreaterThanOrEqual(25);
  });

  it.each(invalidObjects.map((invalid) => [`${invalid.object.kind}: ${invalid.problem}`, invalid] as const))(
    '%s is rejected at its field, and only there',
    (_, invalid) => {
      const result = schemaOf(invalid.object.kind).safeParse(invalid.object);
      expect(result.success).toBe(false);
      const fields = new Set(result.error?.issues.flatMap(issueFieldPaths));
      expect([...fields]).toEqual([invalid.field]);
    },
  );
});

describe('cross-namespace references', () => {
  it('are rejected with a message that says references stay in the namespace', () => {
    const result = RetentionPolicySpec.safeParse({ ...validRetentionPolicySpec, registryRef: { name: 'main', namespace: 'team-b' } });
    expect(result.error?.issues[0]?.message).toMatch(/same namespace/);
  });
});
