import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crdName, renderCustomResourceDefinition } from '../api/crd.ts';
import { kinds } from '../api/v1alpha1/index.ts';

export const crdsUsage = `dockyard crds [--output-dir DIR]
      Print the CustomResourceDefinitions as one YAML stream, or write DIR/<plural>.dockyard.dev.yaml.`;

/** `dockyard crds`: the CustomResourceDefinitions, generated from the zod schemas. */
export async function crdsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'output-dir': { type: 'string' } }, strict: true });
  const outputDir = values['output-dir'];
  if (outputDir === undefined) {
    process.stdout.write(kinds.map(renderCustomResourceDefinition).join('---\n'));
    return 0;
  }
  await mkdir(outputDir, { recursive: true });
  for (const kind of kinds) {
    await writeFile(join(outputDir, `${crdName(kind)}.yaml`), renderCustomResourceDefinition(kind));
  }
  return 0;
}
