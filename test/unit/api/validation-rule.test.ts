import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { celValidationsKey, exactlyOneOf, excludes, immutable, withRules, withTransitionRules } from '../../../src/api/validation-rule.ts';

const Pair = z.strictObject({ a: z.string().optional(), b: z.string().optional(), c: z.string().optional() });

describe('withRules', () => {
  const schema = withRules(Pair, [exactlyOneOf(['a', 'b'])]);

  it('enforces the rule in zod, at the node', () => {
    expect(schema.safeParse({ a: 'x' }).success).toBe(true);
    const issues = z.strictObject({ pair: schema }).safeParse({ pair: { a: 'x', b: 'y' } }).error?.issues;
    expect(issues).toEqual([expect.objectContaining({ path: ['pair'], message: 'exactly one of a or b must be set' })]);
  });

  it('carries the same rule and message as CEL', () => {
    expect(schema.meta()?.[celValidationsKey]).toEqual([
      { rule: '(has(self.a) ? 1 : 0) + (has(self.b) ? 1 : 0) == 1', message: 'exactly one of a or b must be set' },
    ]);
  });

  it('blames the field a rule names, on both sides', () => {
    const withExclusion = withRules(Pair, [excludes('c', ['a', 'b'], 'c stands alone')]);
    const issue = withExclusion.safeParse({ a: 'x', c: 'z' }).error?.issues[0];
    expect(issue).toMatchObject({ path: ['c'], message: 'c cannot be combined with a or b: c stands alone' });
    expect(withExclusion.meta()?.[celValidationsKey]).toEqual([
      expect.objectContaining({ rule: '!has(self.c) || !(has(self.a) || has(self.b))', fieldPath: '.c', reason: 'FieldValueForbidden' }),
    ]);
  });

  it('adds to the CEL rules already attached instead of replacing them', () => {
    const both = withTransitionRules(schema, [immutable('pair is immutable')]);
    expect((both.meta()![celValidationsKey] as unknown[]).length).toBe(2);
    expect(both.safeParse({}).success, 'the zod refinement survives too').toBe(false);
  });

  it('skips the rule while a field of the node is invalid, leaving that field to report', () => {
    const issues = schema.safeParse({ a: 1, b: 'y' }).error?.issues;
    expect(issues?.map((issue) => issue.path)).toEqual([['a']]);
  });

  it('refuses a field path CEL would not accept when the schema is built', () => {
    expect(() => withRules(Pair, [{ cel: 'true', message: 'm', field: 'a', holds: () => true }])).toThrow(/relative path/);
  });
});
