import { describe, expect, it } from 'vitest';
import { bitString, certificateTime, explicit, objectIdentifier, octetString, sequence, unsignedInteger, utf8String } from '../../../src/registry-auth/der.ts';

const hex = (buffer: Buffer) => buffer.toString('hex');

describe('DER encoding', () => {
  it('encodes short and long lengths', () => {
    expect(hex(octetString(Buffer.alloc(3)))).toBe('0403000000');
    expect(hex(octetString(Buffer.alloc(127))).slice(0, 4)).toBe('047f');
    expect(hex(octetString(Buffer.alloc(128))).slice(0, 6)).toBe('048180');
    expect(hex(octetString(Buffer.alloc(300))).slice(0, 8)).toBe('0482012c');
  });

  it.each([
    [0, '020100'],
    [2, '020102'],
    [127, '02017f'],
    [128, '02020080'], // high bit set: a zero byte keeps it positive
    [256, '02020100'],
  ])('encodes the integer %s minimally', (value, expected) => {
    expect(hex(unsignedInteger(value))).toBe(expected);
  });

  it('strips redundant leading zero bytes of a magnitude', () => {
    expect(hex(unsignedInteger(Buffer.from([0, 0, 0x12])))).toBe('020112');
    expect(hex(unsignedInteger(Buffer.from([0, 0x92])))).toBe('02020092');
  });

  it('encodes object identifiers with base-128 arcs', () => {
    expect(hex(objectIdentifier('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302'); // ecdsa-with-SHA256
    expect(hex(objectIdentifier('2.5.29.19'))).toBe('0603551d13'); // basicConstraints
    expect(() => objectIdentifier('1.40.1')).toThrow('invalid object identifier');
    expect(() => objectIdentifier('1.x')).toThrow('invalid object identifier');
  });

  it('uses UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280)', () => {
    expect(certificateTime(new Date('2026-01-02T03:04:05.678Z')).toString('latin1')).toBe('\x17\x0d260102030405Z');
    expect(certificateTime(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
    expect(certificateTime(new Date(Date.UTC(9999, 11, 31, 23, 59, 59))).toString('latin1')).toBe('\x18\x0f99991231235959Z');
  });

  it('nests constructed values and marks unused bits of a bit string', () => {
    expect(hex(sequence(utf8String('a'), explicit(3, bitString(Buffer.from([0x84]), 2))))).toBe('3009' + '0c0161' + 'a304' + '03020284');
  });
});
