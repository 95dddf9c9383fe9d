import { describe, expect, it } from 'vitest';
import { canonicalQuantity } from '../../../../src/controllers/registry/builders/quantity.ts';
import { canonicalQuantities } from '../../../support/canonical-quantities.ts';

describe('canonicalQuantity', () => {
  it.each(canonicalQuantities)('writes %j as the apiserver stores it: %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  it('writes zero as 0 whatever its suffix', () => {
    expect(canonicalQuantity('0Gi')).toBe('0');
    expect(canonicalQuantity('0.000m')).toBe('0');
  });

  it('returns a form it does not know unchanged (the apiserver then decides)', () => {
    expect(canonicalQuantity('1e2.5')).toBe('1e2.5');
  });
});
