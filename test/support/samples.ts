import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { group } from '../../src/api/v1alpha1/index.ts';

export const samplesDirectory = join(import.meta.dirname, '../../manifests/samples');

export interface Sample {
  /** File name under manifests/samples/, for test names. */
  file: string;
  object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, unknown> };
}

/** Every dockyard.dev object in manifests/samples/ (the samples also hold a Namespace). */
export function dockyardSamples(): Sample[] {
  return readdirSync(samplesDirectory)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(samplesDirectory, file), 'utf8'))
        .map((document) => document.toJS() as Sample['object'])
        .filter((object) => object.apiVersion.startsWith(`${group}/`))
        .map((object) => ({ file, object })),
    );
}
