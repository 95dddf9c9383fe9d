// Why a tag or manifest is kept or deleted. Every decision carries every reason that applied, as
// data (for the JSON report and the policy's status) that `describeReason` turns into a sentence.

export type KeepCriterion = 'mostRecentlyPushed' | 'mostRecentlyPulled' | 'pushedWithin' | 'pulledWithin' | 'always';

/** What a rule found for one image, through the matching tag that decided. */
export interface RuleFinding {
  /** Index of the rule in spec.rules, from 0. */
  readonly rule: number;
  readonly criterion: KeepCriterion;
  /** N of mostRecentlyPushed / mostRecentlyPulled, or the duration of pushedWithin / pulledWithin. */
  readonly limit?: number | string | undefined;
  readonly tag: string;
  /** Place among the rule's images, most recent first (1 is the most recent). */
  readonly rank?: number | undefined;
  /** The push or pull time the rule judged; absent when the image was never pulled. */
  readonly at?: number | undefined;
  /** For mostRecentlyPulled: never pulled, so ranked after every pulled image by push time. */
  readonly neverPulled?: true | undefined;
}

export type Reason =
  // Reasons to keep.
  | ({ readonly kind: 'keptByRule' } & RuleFinding)
  | { readonly kind: 'floor'; readonly floor: number; readonly rank: number; readonly tag: string }
  | {
      readonly kind: 'inUse';
      readonly by: 'tag' | 'digest';
      readonly reference: string;
      /** The first users, sorted; `moreUsers` counts the rest. */
      readonly usedBy: readonly string[];
      readonly moreUsers: number;
    }
  | { readonly kind: 'unparseableInUse'; readonly reference: string; readonly usedBy: string }
  | { readonly kind: 'noRuleMatches'; readonly tag: string }
  | { readonly kind: 'noPushTime'; readonly tag: string }
  | ({ readonly kind: 'pullRecordsTooShort'; readonly since?: number | undefined } & RuleFinding)
  | { readonly kind: 'childOf'; readonly index: string }
  | { readonly kind: 'referrerOf'; readonly subject: string; readonly tag?: string | undefined }
  | { readonly kind: 'untagged'; readonly action: 'Keep' | 'Delete'; readonly missingSubject?: string | undefined }
  // Reasons to delete.
  | ({ readonly kind: 'notKeptByRule' } & RuleFinding)
  | { readonly kind: 'indexDeleted'; readonly index: string }
  | { readonly kind: 'subjectDeleted'; readonly subject: string; readonly tag?: string | undefined }
  // Notes that decide nothing but qualify a decision.
  | { readonly kind: 'createdAsPushTime'; readonly tag: string; readonly created: number };

export type ReasonKind = Reason['kind'];

/** Every kind of reason, in the order a decision lists them (docs/retention.md describes each). */
export const reasonKinds: readonly ReasonKind[] = [
  'inUse',
  'unparseableInUse',
  'keptByRule',
  'floor',
  'noRuleMatches',
  'noPushTime',
  'pullRecordsTooShort',
  'childOf',
  'referrerOf',
  'untagged',
  'notKeptByRule',
  'indexDeleted',
  'subjectDeleted',
  'createdAsPushTime',
];
const orderOf = new Map(reasonKinds.map((kind, index) => [kind, index]));

/** Whether the reason keeps what it is attached to; `untagged` keeps only under `untaggedManifests: Keep`. */
export function keeps(reason: Reason): boolean {
  switch (reason.kind) {
    case 'notKeptByRule':
    case 'indexDeleted':
    case 'subjectDeleted':
    case 'createdAsPushTime':
      return false;
    case 'untagged':
      return reason.action === 'Keep';
    default:
      return true;
  }
}

/** A note qualifies a decision without making it. */
export function isNote(reason: Reason): boolean {
  return reason.kind === 'createdAsPushTime';
}

/** The safety rails: what is kept only for these reasons counts as protected. */
export function isSafetyRail(reason: Reason): boolean {
  return reason.kind === 'inUse' || reason.kind === 'unparseableInUse' || reason.kind === 'floor';
}

function contentKey(reason: Reason): string {
  return Object.entries(reason)
    .map(([field, value]) => `${field}=${value}`)
    .join('\u0001');
}

/** By kind, then rule, then (only when those tie, which is rare) content. */
function compareReasons(a: Reason, b: Reason): number {
  const byKind = orderOf.get(a.kind)! - orderOf.get(b.kind)!;
  if (byKind !== 0) return byKind;
  const byRule = ('rule' in a ? a.rule : -1) - ('rule' in b ? b.rule : -1);
  if (byRule !== 0) return byRule;
  const [keyA, keyB] = [contentKey(a), contentKey(b)];
  return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
}

/** Sorts `reasons` in place into a fixed order (by kind, then rule, then content) and drops duplicates. */
export function canonicalReasons(reasons: Reason[]): Reason[] {
  if (reasons.length <= 1) return reasons;
  reasons.sort(compareReasons);
  return reasons.filter((reason, index) => index === 0 || compareReasons(reasons[index - 1]!, reason) !== 0);
}

export function formatTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace(/\.000Z$/, 'Z');
}

/** A digest short enough for a sentence; the JSON report keeps it whole. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return colon < 0 ? digest : digest.slice(0, colon + 13);
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** `the most recently pushed`, `the 3rd most recently pushed`, `only the 14th most recently pushed`. */
function place(rank: number | undefined, kept: boolean): string {
  if (rank === 1) return 'the';
  return `${kept ? 'the' : 'only the'} ${ordinal(rank ?? 0)}`;
}

function ruleLabel(finding: RuleFinding): string {
  return finding.limit === undefined ? `rule ${finding.rule} (${finding.criterion})` : `rule ${finding.rule} (${finding.criterion} ${finding.limit})`;
}

function findingText(finding: RuleFinding, kept: boolean): string {
  const tag = `tag ${finding.tag}`;
  const at = finding.at === undefined ? '' : formatTime(finding.at);
  switch (finding.criterion) {
    case 'always':
      return `${tag} matches`;
    case 'mostRecentlyPushed':
      return `${tag} is ${place(finding.rank, kept)} most recently pushed image (pushed ${at})`;
    case 'mostRecentlyPulled':
      return finding.neverPulled
        ? `${tag} was never pulled; ranked ${ordinal(finding.rank ?? 0)} by push time after every pulled image`
        : `${tag} is ${place(finding.rank, kept)} most recently pulled image (pulled ${at})`;
    case 'pushedWithin':
      return `${tag} was pushed ${at}, ${kept ? 'within' : 'not within'} ${finding.limit}`;
    case 'pulledWithin':
      return finding.at === undefined
        ? `${tag} was not pulled within ${finding.limit}`
        : `${tag} was last pulled ${at}, ${kept ? 'within' : 'not within'} ${finding.limit}`;
  }
}

function users(reason: { usedBy: readonly string[]; moreUsers: number }): string {
  return reason.moreUsers > 0 ? `${reason.usedBy.join(', ')} and ${reason.moreUsers} more` : reason.usedBy.join(', ');
}

/** One sentence explaining the reason, as the report table and the policy's status show it. */
export function describeReason(reason: Reason): string {
  switch (reason.kind) {
    case 'keptByRule':
      return `${ruleLabel(reason)} keeps it: ${findingText(reason, true)}`;
    case 'notKeptByRule':
      return `${ruleLabel(reason)} does not keep it: ${findingText(reason, false)}`;
    case 'floor':
      return `floor (minTagsPerRepository ${reason.floor}): tag ${reason.tag} is ${place(reason.rank, true)} most recently pushed image of the repository`;
    case 'inUse':
      return `in use by ${users(reason)} (by ${reason.by} ${reason.by === 'digest' ? shortDigest(reason.reference) : reason.reference})`;
    case 'unparseableInUse':
      return `in use by ${reason.usedBy} through the unparseable reference ${JSON.stringify(reason.reference)}, which may name this repository`;
    case 'noRuleMatches':
      return `tag ${reason.tag} matches no rule's tags, so the policy leaves it alone`;
    case 'noPushTime':
      return `tag ${reason.tag} has no push record and its image no created time: kept and flagged`;
    case 'pullRecordsTooShort':
      return reason.since === undefined
        ? `${ruleLabel(reason)} cannot judge tag ${reason.tag}: no pull records are kept for this registry, so it is kept`
        : `${ruleLabel(reason)} cannot judge tag ${reason.tag}: pull records only go back to ${formatTime(reason.since)}, so it is kept`;
    case 'childOf':
      return `child of the kept index ${shortDigest(reason.index)}`;
    case 'referrerOf':
      return reason.tag === undefined
        ? `referrer of the kept ${shortDigest(reason.subject)}`
        : `referrer of the kept ${shortDigest(reason.subject)} through tag ${reason.tag}`;
    case 'untagged':
      return reason.missingSubject === undefined
        ? `untagged; untaggedManifests: ${reason.action}`
        : `referrer of ${shortDigest(reason.missingSubject)}, which is not in the repository; untaggedManifests: ${reason.action}`;
    case 'indexDeleted':
      return `child of the deleted index ${shortDigest(reason.index)}`;
    case 'subjectDeleted':
      return reason.tag === undefined
        ? `referrer of the deleted ${shortDigest(reason.subject)}`
        : `referrer of the deleted ${shortDigest(reason.subject)} through tag ${reason.tag}`;
    case 'createdAsPushTime':
      return `tag ${reason.tag}: no push record; used the image's created time (${formatTime(reason.created)})`;
  }
}
