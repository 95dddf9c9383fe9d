import type { RegistryClient } from '../../oci/client.ts';
import { errorMessage } from '../../runtime/errors.ts';
import type { DeletionRequest } from '../deletion-plan.ts';

export interface DeletionOutcome {
  /** Requests the registry carried out (202), or found already done (404: a re-run after an interruption). */
  done: number;
  alreadyGone: number;
  /** The first failure of each repository; its later requests were not sent, to keep the plan's order. */
  failed: Array<{ request: DeletionRequest; error: string; cause: unknown }>;
  /** Requests not sent because an earlier one of their repository failed. */
  skipped: number;
  /** Manifests whose every request was carried out (a manifest with several tags takes several untag requests). */
  manifestsDone: number;
}

/**
 * Carries out the deletion requests. Repositories proceed side by side (the client bounds the
 * requests in flight); within one, requests go in plan order (referrers before their subject, an
 * index before its children), and the first failure stops that repository, so a half-done run
 * never leaves a signature without its image. Whatever was not done is planned again next run.
 */
export async function carryOutDeletions(
  client: RegistryClient,
  requests: readonly DeletionRequest[],
  options: { onDone?: (outcome: DeletionOutcome) => void } = {},
): Promise<DeletionOutcome> {
  const byRepository = new Map<string, DeletionRequest[]>();
  for (const request of requests) {
    const queue = byRepository.get(request.repository);
    if (queue === undefined) byRepository.set(request.repository, [request]);
    else queue.push(request);
  }
  const outcome: DeletionOutcome = { done: 0, alreadyGone: 0, failed: [], skipped: 0, manifestsDone: 0 };
  const touched = new Set<string>();
  const unfinished = new Set<string>();
  await Promise.all(
    [...byRepository.values()].map(async (queue) => {
      for (const [index, request] of queue.entries()) {
        try {
          const result =
            request.kind === 'untag'
              ? await client.deleteTag(request.repository, request.tag)
              : await client.deleteManifest(request.repository, request.digest);
          if (result === 'deleted') outcome.done += 1;
          else outcome.alreadyGone += 1;
          touched.add(`${request.repository}@${request.digest}`);
          options.onDone?.(outcome);
        } catch (error) {
          outcome.failed.push({ request, error: errorMessage(error), cause: error });
          outcome.skipped += queue.length - index - 1;
          for (const left of queue.slice(index)) unfinished.add(`${left.repository}@${left.digest}`);
          return;
        }
      }
    }),
  );
  outcome.manifestsDone = [...touched].filter((digest) => !unfinished.has(digest)).length;
  return outcome;
}
