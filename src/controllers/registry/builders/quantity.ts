/**
 * Kubernetes' canonical form of a resource quantity (apimachinery `Quantity.CanonicalizeBytes`).
 *
 * The apiserver stores every quantity in this form: "0.5" becomes "500m", "1024Mi" becomes "1Gi",
 * "1000" becomes "1k". Builders write quantities the user gave, and the apply step skips a write
 * only when the live object already holds what we desire, so a quantity written as the user
 * wrote it would look changed on every reconcile, and an idle operator would keep writing.
 *
 * Values are exact (BigInt) at the apiserver's precision, nanounits, rounded up like the
 * apiserver. A form this function does not know (a fractional exponent, an exponent beyond the
 * suffixes) is returned unchanged: the apiserver then canonicalizes it, which costs a write per
 * reconcile but is never wrong.
 */
export function canonicalQuantity(quantity: string | number): string {
  const text = String(quantity);
  const match = /^([0-9]*)(?:\.([0-9]*))?(?:([KMGTPE]i)|([numkMGTPE])|[eE]([+-]?[0-9]+))?$/.exec(text);
  if (match === null || (match[1] === '' && (match[2] ?? '') === '')) return text;
  const [, whole = '', fraction = '', binarySuffix, decimalSuffix, exponentText] = match;
  const format = binarySuffix !== undefined ? 'binary' : exponentText !== undefined ? 'exponent' : 'decimal';

  // value = digits × 10^(exponent10) × 1024^(binaryPower); in nanounits, rounded up.
  const digits = BigInt(`${whole}${fraction}` || '0');
  const exponent10 = -fraction.length + (decimalSuffix !== undefined ? decimalExponents[decimalSuffix]! : 0) + Number(exponentText ?? 0);
  const binaryPower = binarySuffix !== undefined ? binarySuffixes.indexOf(binarySuffix) : 0;
  const nanos = scaleRoundingUp(digits * 1024n ** BigInt(binaryPower), exponent10 + 9);
  if (nanos === 0n) return '0';

  // A binary quantity stays binary only when it is a whole number of at least 1024.
  if (format === 'binary' && nanos >= 1024n * nano && nanos % nano === 0n) {
    let value = nanos / nano;
    let power = 0;
    while (value % 1024n === 0n && power < binarySuffixes.length - 1) {
      value /= 1024n;
      power += 1;
    }
    return `${value}${binarySuffixes[power]}`;
  }

  // Decimal: the fewest digits, with an exponent that is a multiple of 3.
  let mantissa = nanos;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  const extra = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(extra);
  exponent -= extra;
  if (format === 'exponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = Object.entries(decimalExponents).find(([, value]) => value === exponent)?.[0];
  return suffix === undefined ? text : `${mantissa}${suffix}`;
}

const nano = 1_000_000_000n;
const binarySuffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const decimalExponents: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** value × 10^exponent, rounded up to a whole number. */
function scaleRoundingUp(value: bigint, exponent: number): bigint {
  if (exponent >= 0) return value * 10n ** BigInt(exponent);
  const divisor = 10n ** BigInt(-exponent);
  return (value + divisor - 1n) / divisor;
}
