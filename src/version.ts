import { readFileSync } from 'node:fs';

/** The package version, read once from package.json beside the source or build tree. */
export const version: string = (() => {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'dockyard' && parsed.version) return parsed.version;
    } catch {
      // Not at this depth: try the next.
    }
  }
  return 'unknown';
})();
