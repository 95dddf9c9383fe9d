import { describe, expect, it } from 'vitest';
import { unlessNotFound } from '../../../src/runtime/errors.ts';

const apiError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

describe('unlessNotFound', () => {
  it('passes a result through', async () => {
    expect(await unlessNotFound(Promise.resolve({ kind: 'Secret' }))).toEqual({ kind: 'Secret' });
  });

  it('turns a 404 into undefined', async () => {
    expect(await unlessNotFound(Promise.reject(apiError(404)))).toBeUndefined();
  });

  it('rethrows every other failure', async () => {
    await expect(unlessNotFound(Promise.reject(apiError(403)))).rejects.toThrow('HTTP 403');
    await expect(unlessNotFound(Promise.reject(new Error('connection refused')))).rejects.toThrow('connection refused');
  });
});
