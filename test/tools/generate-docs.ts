// Rewrites the generated parts of docs/ from the code (make docs). A unit test fails while they are stale.
import { readFile, writeFile } from 'node:fs/promises';
import { apiReference, apiReferenceFile } from './docs/api-reference.ts';
import { troubleshootingFile, withCurrentTables } from './docs/troubleshooting.ts';

const current = await readFile(troubleshootingFile, 'utf8');
const fresh = withCurrentTables(current);
if (fresh !== current) {
  await writeFile(troubleshootingFile, fresh);
  console.log('updated docs/troubleshooting.md');
}

const reference = apiReference();
const previous = await readFile(apiReferenceFile, 'utf8').catch(() => '');
if (reference !== previous) {
  await writeFile(apiReferenceFile, reference);
  console.log('updated docs/api.md');
}
