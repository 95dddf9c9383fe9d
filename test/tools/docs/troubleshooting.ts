import { imageRepositoryReasonGuide } from '../../../src/controllers/image-repository/reasons.ts';
import { registryReasonGuide } from '../../../src/controllers/registry/status/reasons.ts';
import { retentionReasonGuide } from '../../../src/controllers/retention-policy/reasons.ts';

export const troubleshootingFile = new URL('../../../docs/troubleshooting.md', import.meta.url).pathname;

interface Guide {
  conditions: string[];
  meaning: string;
  action: string;
}

/** The generated sections: each a table of every reason one kind's conditions can carry, from the constants the code uses. */
const sections: Array<{ name: string; guide: Readonly<Record<string, Guide>> }> = [
  { name: 'registry reasons', guide: registryReasonGuide },
  { name: 'retention policy reasons', guide: retentionReasonGuide },
  { name: 'image repository reasons', guide: imageRepositoryReasonGuide },
];

export function reasonTable(guide: Readonly<Record<string, Guide>>): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = Object.entries(guide).map(
    ([reason, entry]) => `| \`${reason}\` | ${entry.conditions.join(', ')} | ${cell(entry.meaning)} | ${cell(entry.action) || '—'} |`,
  );
  return ['| Reason | Conditions | What it means | What to do |', '|---|---|---|---|', ...rows].join('\n');
}

/** `document` with each generated section replaced by the current table. */
export function withCurrentTables(document: string): string {
  let result = document;
  for (const { name, guide } of sections) {
    const begin = `<!-- BEGIN GENERATED: ${name} (make docs) -->`;
    const end = `<!-- END GENERATED: ${name} -->`;
    const start = result.indexOf(begin);
    const stop = result.indexOf(end);
    if (start < 0 || stop < start) throw new Error(`docs/troubleshooting.md lacks the markers ${begin} ... ${end}`);
    result = `${result.slice(0, start + begin.length)}\n${reasonTable(guide)}\n${result.slice(stop)}`;
  }
  return result;
}
