import type { RetentionPolicySpec } from '../api/v1alpha1/retention-policy.ts';
import { durationMilliseconds } from '../api/v1alpha1/duration.ts';
import { tagMatcher, type NameMatcher } from './globs.ts';
import type { KeepCriterion, Reason, RuleFinding } from './reasons.ts';
import { byRecency, imagesOf, type ImageTime, type TagTimes } from './tag-times.ts';

// The rules act on images (digests), as Harbor's and ECR's do: each rule looks at the ordinary
// tags its globs match, groups them by digest, and keeps or passes over each image as a whole.

type RuleSpec = RetentionPolicySpec['rules'][number];

export interface CompiledRule {
  readonly index: number;
  readonly criterion: KeepCriterion;
  readonly limit: number | string | undefined;
  readonly matches: NameMatcher;
  /** For mostRecentlyPushed / mostRecentlyPulled. */
  readonly count: number;
  /** For pushedWithin / pulledWithin, in milliseconds. */
  readonly window: number;
}

function criterionOf(rule: RuleSpec): { criterion: KeepCriterion; limit: number | string | undefined } {
  if (rule.mostRecentlyPushed !== undefined) return { criterion: 'mostRecentlyPushed', limit: rule.mostRecentlyPushed };
  if (rule.mostRecentlyPulled !== undefined) return { criterion: 'mostRecentlyPulled', limit: rule.mostRecentlyPulled };
  if (rule.pushedWithin !== undefined) return { criterion: 'pushedWithin', limit: rule.pushedWithin };
  if (rule.pulledWithin !== undefined) return { criterion: 'pulledWithin', limit: rule.pulledWithin };
  if (rule.always === true) return { criterion: 'always', limit: undefined };
  // The schema admits exactly one criterion per rule; a rule built by hand without one keeps nothing.
  throw new Error('rule names none of mostRecentlyPushed, mostRecentlyPulled, pushedWithin, pulledWithin, always');
}

export function compileRules(rules: readonly RuleSpec[]): CompiledRule[] {
  return rules.map((rule, index) => {
    const { criterion, limit } = criterionOf(rule);
    return {
      index,
      criterion,
      limit,
      matches: tagMatcher(rule.tags),
      count: typeof limit === 'number' ? limit : 0,
      window: typeof limit === 'string' ? durationMilliseconds(limit) : 0,
    };
  });
}

export interface RuleContext {
  readonly now: number;
  readonly pullRecordsSince: number | undefined;
}

function finding(rule: CompiledRule, image: ImageTime, extra?: Partial<RuleFinding>): RuleFinding {
  const found: { -readonly [K in keyof RuleFinding]: RuleFinding[K] } = { rule: rule.index, criterion: rule.criterion, limit: rule.limit, tag: image.tag };
  if (image.at !== undefined) found.at = image.at;
  if (extra?.rank !== undefined) found.rank = extra.rank;
  if (extra?.neverPulled) found.neverPulled = true;
  return found;
}

function keep(rule: CompiledRule, image: ImageTime, extra?: Partial<RuleFinding>): void {
  image.node.reasons.push(Object.assign(finding(rule, image, extra), { kind: 'keptByRule' as const }));
}

function pass(rule: CompiledRule, image: ImageTime, extra?: Partial<RuleFinding>): void {
  image.node.reasons.push(Object.assign(finding(rule, image, extra), { kind: 'notKeptByRule' as const }));
}

function cannotJudge(rule: CompiledRule, image: ImageTime, context: RuleContext): void {
  const reason: Reason = { kind: 'pullRecordsTooShort', ...finding(rule, image), since: context.pullRecordsSince };
  image.node.reasons.push(reason);
}

function applyRule(rule: CompiledRule, tags: readonly TagTimes[], context: RuleContext): void {
  switch (rule.criterion) {
    case 'always':
      for (const image of imagesOf(tags, () => undefined)) keep(rule, image);
      return;
    case 'pushedWithin':
      for (const image of imagesOf(tags, (tag) => tag.pushedAt)) {
        // Without a push time the image is kept and flagged for every rule (see applyRules).
        if (image.at === undefined) continue;
        if (image.at >= context.now - rule.window) keep(rule, image);
        else pass(rule, image);
      }
      return;
    case 'mostRecentlyPushed': {
      const ranked = imagesOf(tags, (tag) => tag.pushedAt)
        .filter((image) => image.at !== undefined)
        .sort(byRecency);
      ranked.forEach((image, index) => {
        (index < rule.count ? keep : pass)(rule, image, { rank: index + 1 });
      });
      return;
    }
    case 'pulledWithin': {
      const since = context.pullRecordsSince;
      const recordsCoverWindow = since !== undefined && since <= context.now - rule.window;
      for (const image of imagesOf(tags, (tag) => tag.pulledAt)) {
        if (image.at !== undefined && image.at >= context.now - rule.window) keep(rule, image);
        else if (!recordsCoverWindow) cannotJudge(rule, image, context);
        else pass(rule, image);
      }
      return;
    }
    case 'mostRecentlyPulled': {
      const pulled = imagesOf(tags, (tag) => tag.pulledAt);
      if (context.pullRecordsSince === undefined) {
        for (const image of pulled) cannotJudge(rule, image, context);
        return;
      }
      const neverPulled = new Set(pulled.filter((image) => image.at === undefined).map((image) => image.node.digest));
      const ranked = [
        ...pulled.filter((image) => image.at !== undefined).sort(byRecency),
        ...imagesOf(
          tags.filter((tag) => neverPulled.has(tag.node.digest)),
          (tag) => tag.pushedAt,
        ).sort(byRecency),
      ];
      ranked.forEach((image, index) => {
        const extra: Partial<RuleFinding> = neverPulled.has(image.node.digest) ? { rank: index + 1, neverPulled: true } : { rank: index + 1 };
        // A never-pulled image's time is its push time; the finding states only pull times.
        const shown = extra.neverPulled ? { ...image, at: undefined } : image;
        (index < rule.count ? keep : pass)(rule, shown, extra);
      });
      return;
    }
  }
}

/**
 * Adds to each image's manifest what every rule, the floor and the push-time checks say. Tags no
 * rule's globs match are out of the policy's reach and kept; tags with neither a push record nor
 * a created time are kept and flagged rather than ranked on a guess.
 */
export function applyRules(rules: readonly CompiledRule[], floor: number, tags: readonly TagTimes[], context: RuleContext): void {
  const inScope = new Set<TagTimes>();
  for (const rule of rules) {
    const matching = tags.filter((tag) => rule.matches(tag.tag.name));
    for (const tag of matching) inScope.add(tag);
    if (matching.length > 0) applyRule(rule, matching, context);
  }
  for (const tag of tags) {
    if (!inScope.has(tag)) tag.node.reasons.push({ kind: 'noRuleMatches', tag: tag.tag.name });
    else if (tag.pushedAt === undefined) tag.node.reasons.push({ kind: 'noPushTime', tag: tag.tag.name });
    else if (tag.pushedAtFromCreated) tag.node.reasons.push({ kind: 'createdAsPushTime', tag: tag.tag.name, created: tag.pushedAt });
  }
  if (floor > 0) {
    const ranked = imagesOf(tags, (tag) => tag.pushedAt)
      .filter((image) => image.at !== undefined)
      .sort(byRecency);
    ranked.slice(0, floor).forEach((image, index) => {
      image.node.reasons.push({ kind: 'floor', floor, rank: index + 1, tag: image.tag });
    });
  }
}
