import { registryReasonGuide } from '../../../src/controllers/registry/status/reasons.ts';

export const troubleshootingFile = new URL('../../../docs/troubleshooting.md', import.meta.url).pathname;

const begin = '<!-- BEGIN GENERATED: registry reasons (make docs) -->';
const end = '<!-- END GENERATED: registry reasons -->';

/** The table of every reason a Registry's conditions can carry, from the constants the code uses. */
export function registryReasonTable(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = Object.entries(registryReasonGuide).map(
    ([reason, guide]) => `| \`${reason}\` | ${guide.conditions.join(', ')} | ${cell(guide.meaning)} | ${escape(guide.action) || '—'} |`,
  );
  return ['| Reason | Conditions | What it means | What to do |', '|---|---|---|---|', ...rows].join('\n');
}

/** `document` with its generated section replaced by the current table. */
export function withCurrentTables(document: string): string {
  const start = document.indexOf(begin);
  const stop = document.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`docs/troubleshooting.md lacks the markers ${begin} ... ${end}`);
  return `${document.slice(0, start + begin.length)}\n${registryReasonTable()}\n${document.slice(stop)}`;
}
