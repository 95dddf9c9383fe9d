import type { ImageRepositoryStatus } from '../../api/v1alpha1/image-repository.ts';
import { setCondition, type Condition } from '../../runtime/conditions.ts';
import { kubeTime } from '../../runtime/kube-time.ts';
import { imageRepositoryConditionTypes, imageRepositoryReasons, type ImageRepositoryReason } from './reasons.ts';

/** A tag as the push records know it. */
export interface PushedTag {
  tag: string;
  digest: string;
  pushedAt: number;
}

/** What was read of the repository: its tags (tag -> manifest digest) and the bytes they reach. */
export interface RepositoryContents {
  tags: ReadonlyMap<string, string>;
  sizeBytes: number;
  /** The tags' push records, when the registry keeps them; undefined when it does not. */
  pushes?: readonly PushedTag[];
}

export type Observation =
  | { kind: 'found'; contents: RepositoryContents }
  | { kind: 'not-found'; message: string }
  | { kind: 'problem'; reason: ImageRepositoryReason; message: string };

export interface StatusInputs {
  generation: number | undefined;
  previous: ImageRepositoryStatus | undefined;
  observation: Observation;
  now?: Date;
}

export const recentTagLimit = 10;

/**
 * The status, from one observation. Found: the figures as read. Not found: zero tags and bytes,
 * Ready=False without Degraded (nothing is wrong). A problem: the last figures read stay (they
 * were true when read), Ready=False and Degraded=True say why they are not current.
 */
export function composeStatus(inputs: StatusInputs): ImageRepositoryStatus {
  const options = { ...(inputs.generation !== undefined ? { observedGeneration: inputs.generation } : {}), ...(inputs.now ? { now: inputs.now } : {}) };
  const observation = inputs.observation;
  let conditions: Condition[] = (inputs.previous?.conditions ?? []) as Condition[];
  const ready =
    observation.kind === 'found'
      ? { status: 'True' as const, reason: imageRepositoryReasons.found, message: `${observation.contents.tags.size} tags` }
      : observation.kind === 'not-found'
        ? { status: 'False' as const, reason: imageRepositoryReasons.notFound, message: observation.message }
        : { status: 'False' as const, reason: observation.reason, message: observation.message.slice(0, 1024) };
  const degraded =
    observation.kind === 'problem'
      ? { status: 'True' as const, reason: observation.reason, message: observation.message.slice(0, 1024) }
      : { status: 'False' as const, reason: imageRepositoryReasons.asExpected, message: 'nothing needs attention' };
  conditions = setCondition(conditions, { type: imageRepositoryConditionTypes.ready, ...ready }, options);
  conditions = setCondition(conditions, { type: imageRepositoryConditionTypes.degraded, ...degraded }, options);
  const base = { ...(inputs.generation !== undefined ? { observedGeneration: inputs.generation } : {}), conditions };
  if (observation.kind === 'not-found') return { ...base, tagCount: 0, sizeBytes: 0 };
  if (observation.kind === 'problem') {
    const { conditions: _conditions, observedGeneration: _generation, ...figures } = inputs.previous ?? {};
    return { ...base, ...figures };
  }
  const { contents } = observation;
  return { ...base, tagCount: contents.tags.size, sizeBytes: contents.sizeBytes, ...pushFigures(contents) };
}

/** lastPushTime and recentTags from the records of tags that still point where they were pushed; nothing invented where there are none. */
function pushFigures(contents: RepositoryContents): Pick<ImageRepositoryStatus, 'lastPushTime' | 'recentTags'> {
  if (contents.pushes === undefined) return {};
  const current = contents.pushes.filter((push) => contents.tags.get(push.tag) === push.digest);
  if (current.length === 0) return {};
  const newest = [...current].sort((a, b) => b.pushedAt - a.pushedAt || a.tag.localeCompare(b.tag)).slice(0, recentTagLimit);
  return {
    lastPushTime: kubeTime(new Date(newest[0]?.pushedAt ?? 0)),
    recentTags: newest.map((push) => ({ tag: push.tag, digest: push.digest, pushedAt: kubeTime(new Date(push.pushedAt)) })),
  };
}
