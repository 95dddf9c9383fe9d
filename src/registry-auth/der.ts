/**
 * Just enough DER (ITU-T X.690) to write an X.509 certificate: each function returns the complete
 * encoding (tag, length, content) of one value, so encodings nest by plain function calls.
 */

const tags = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  utcTime: 0x17,
  generalizedTime: 0x18,
  /** Constructed, context-specific: [0], [1], ... add the tag number. */
  contextConstructed: 0xa0,
} as const;

/** Definite-length form: short for < 128 bytes, otherwise 0x80 | count followed by the length, big-endian. */
function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function encode(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...items: Buffer[]): Buffer {
  return encode(tags.sequence, Buffer.concat(items));
}

export function set(...items: Buffer[]): Buffer {
  return encode(tags.set, Buffer.concat(items));
}

/** An explicitly tagged value: `[tagNumber] EXPLICIT inner`. */
export function explicit(tagNumber: number, inner: Buffer): Buffer {
  return encode(tags.contextConstructed + tagNumber, inner);
}

export function boolean(value: boolean): Buffer {
  return encode(tags.boolean, Buffer.from([value ? 0xff : 0x00]));
}

/**
 * A non-negative INTEGER from its big-endian magnitude: minimal (no redundant leading zero
 * bytes), with one zero byte added when the top bit is set, so it is not read as negative.
 */
export function unsignedInteger(magnitude: Buffer | number): Buffer {
  let bytes = typeof magnitude === 'number' ? numberToBytes(magnitude) : Buffer.from(magnitude);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return encode(tags.integer, bytes);
}

function numberToBytes(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`DER integer must be a non-negative safe integer, got ${value}`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from(bytes.length === 0 ? [0] : bytes);
}

/** A dotted object identifier such as 1.2.840.10045.4.3.2; arcs after the first two in base 128. */
export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new Error(`invalid object identifier ${dotted}`);
    return Number(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2 || (first < 2 && second > 39)) {
    throw new Error(`invalid object identifier ${dotted}`);
  }
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) groups.unshift((value & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return encode(tags.objectIdentifier, Buffer.from(bytes));
}

export function utf8String(text: string): Buffer {
  return encode(tags.utf8String, Buffer.from(text, 'utf8'));
}

export function octetString(bytes: Buffer): Buffer {
  return encode(tags.octetString, bytes);
}

/** A BIT STRING of whole bytes, or with `unusedBits` trailing bits of the last byte not part of it. */
export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  if (unusedBits < 0 || unusedBits > 7) throw new Error(`unused bits must be 0..7, got ${unusedBits}`);
  return encode(tags.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * A certificate validity time as RFC 5280 (4.1.2.5) wants it: UTCTime (YYMMDDHHMMSSZ) through
 * 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050; whole seconds, always UTC.
 */
export function certificateTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.678Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new Error(`certificate time out of range: ${iso}`);
  return year < 2050 ? encode(tags.utcTime, Buffer.from(digits.slice(2), 'ascii')) : encode(tags.generalizedTime, Buffer.from(digits, 'ascii'));
}
