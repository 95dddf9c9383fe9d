import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryFlavor } from '../../test/registry/local-registry.ts';

/**
 * regbot's configuration: `scripts` Lua scripts run side by side (`parallel`), script i taking
 * every scripts-th repository, each as regbot's documentation writes a cleanup: list the tags,
 * read each image's config for its `created` time, keep the newest `keep`, tag.delete the rest.
 * regbot runs one script's steps one after another, so side-by-side scripts are how it gets the
 * concurrency the other contenders have; `reqConcurrent` lifts its default of 3 requests per host.
 */
export function regbotConfig(host: string, keep: number, concurrency: number): string {
  const script = (shard: number) => `
      local keep = ${keep}
      for index, repository in ipairs(repo.ls("${host}")) do
        if (index - 1) % ${concurrency} == ${shard} then
          local ref = reference.new("${host}/" .. repository)
          local created = {}
          local tags = tag.ls(ref)
          for _, t in ipairs(tags) do
            ref:tag(t)
            created[t] = tostring(image.config(ref).created)
          end
          table.sort(tags, function(a, b) return created[a] > created[b] end)
          for i = keep + 1, #tags do
            ref:tag(tags[i])
            tag.delete(ref)
          end
        end
      end`;
  const scripts = Array.from({ length: concurrency }, (_, shard) => `  - name: keep-newest-${shard}\n    timeout: 3600s\n    script: |${script(shard)}\n`);
  return [
    'version: 1',
    'creds:',
    `  - registry: ${host}`,
    '    tls: disabled',
    `    reqConcurrent: ${concurrency}`,
    'defaults:',
    `  parallel: ${concurrency}`,
    '  timeout: 3600s',
    'scripts:',
    ...scripts,
  ].join('\n');
}

/**
 * crane in a shell loop, as people run it from cron: list, sort by name (tags are named in push
 * order), drop the newest `keep`, delete the rest, `concurrency` crane processes at a time (xargs
 * -P, kinder to crane than a plain loop). distribution 3.x untags by tag; 2.x refuses that, so
 * there each tag is resolved to its digest first (crane digest) and the manifest deleted by it.
 */
export function craneLoop(flavor: RegistryFlavor): string {
  const remove = flavor === 'distribution-3' ? 'crane delete --insecure "$1:$2"' : 'crane delete --insecure "$1@$(crane digest --insecure "$1:$2")"';
  return `set -euo pipefail
registry=$1 keep=$2 concurrency=$3
crane catalog --insecure "$registry" | while read -r repository; do
  crane ls --insecure "$registry/$repository" | sort | head -n "-$keep" | sed "s|^|$registry/$repository |"
done | xargs -r -P "$concurrency" -n 2 bash -c '${remove}' delete
`;
}

export async function writePeerFiles(directory: string, host: string, flavor: RegistryFlavor, keep: number, concurrency: number) {
  const regbot = join(directory, 'regbot.yml');
  const crane = join(directory, 'crane-loop.sh');
  await writeFile(regbot, regbotConfig(host, keep, concurrency));
  await writeFile(crane, craneLoop(flavor));
  return { regbot, crane };
}
