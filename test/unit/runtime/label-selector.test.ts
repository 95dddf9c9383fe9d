import { describe, expect, it } from 'vitest';
import { matchesLabelSelector, type LabelSelector } from '../../../src/runtime/label-selector.ts';

describe('matchesLabelSelector', () => {
  const labels = { team: 'a', tier: 'prod' };
  it.each<[LabelSelector, boolean, string]>([
    [{}, true, 'an empty selector matches everything'],
    [{ matchLabels: { team: 'a' } }, true, 'a matching pair'],
    [{ matchLabels: { team: 'b' } }, false, 'a different value'],
    [{ matchLabels: { team: 'a', zone: 'x' } }, false, 'every pair must hold'],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['prod', 'stage'] }] }, true, 'In'],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['prod'] }] }, false, 'NotIn'],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, true, 'NotIn on an absent key'],
    [{ matchExpressions: [{ key: 'team', operator: 'Exists' }] }, true, 'Exists'],
    [{ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, false, 'DoesNotExist'],
    [{ matchExpressions: [{ key: 'team', operator: 'Gt', values: ['1'] }] }, false, 'an unknown operator matches nothing'],
  ])('%j -> %s (%s)', (selector, expected, _why) => {
    expect(matchesLabelSelector(selector, labels)).toBe(expected);
  });
});
