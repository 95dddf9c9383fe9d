import { describe, expect, it } from 'vitest';
import { logFormat } from '../../src/log.ts';

describe('logFormat', () => {
  it.each([
    [true, undefined, 'pretty'],
    [false, undefined, 'json'],
    [true, 'json', 'json'],
    [false, 'pretty', 'pretty'],
    [true, 'nonsense', 'pretty'],
    [false, '', 'json'],
  ] as const)('stdout a TTY: %s, DOCKYARD_LOG_FORMAT=%s -> %s', (tty, requested, expected) => {
    expect(logFormat(tty, requested)).toBe(expected);
  });
});
