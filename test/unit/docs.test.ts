import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { degradedReasons, progressReasons, pullSecretsReasons, registryReasonGuide } from '../../src/controllers/registry/status/reasons.ts';
import { troubleshootingFile, withCurrentTables } from '../tools/docs/troubleshooting.ts';

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
