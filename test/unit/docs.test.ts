import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { degradedReasons, progressReasons, pullSecretsReasons, registryReasonGuide } from '../../src/controllers/registry/status/reasons.ts';
import { troubleshootingFile, withCurrentTables } from '../tools/docs/troubleshooting.ts';
import { apiReference, apiReferenceFile } from '../tools/docs/api-reference.ts';

describe('docs/troubleshooting.md', () => {
  it('carries the table generated from the reason constants (run make docs when this fails)', async () => {
    const document = await readFile(troubleshootingFile, 'utf8');
    expect(document).toBe(withCurrentTables(document));
  });

  it('explains every reason constant the status code can set', async () => {
    const document = await readFile(troubleshootingFile, 'utf8');
    for (const reason of [...Object.values(degradedReasons), ...Object.values(progressReasons), ...Object.values(pullSecretsReasons)]) {
      expect(registryReasonGuide[reason], reason).toBeDefined();
      expect(document, reason).toContain(`| \`${reason}\` |`);
    }
  });
});

describe('docs/api.md', () => {
  it('is the reference generated from the schemas (run make docs when this fails)', async () => {
    expect(await readFile(apiReferenceFile, 'utf8')).toBe(apiReference());
  });

  it('lists every spec field, with its default', () => {
    const reference = apiReference();
    expect(reference).toContain('| `spec.maxDeletionsPerRun` | integer | default `500`');
    expect(reference).toContain('| `spec.external.retentionCredentialsSecretRef.name` |');
  });
});
