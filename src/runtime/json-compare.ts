/**
 * Comparisons of JSON values, used to skip writes that would change nothing: the apiserver counts
 * (and audits) a no-op PATCH as a write, and an idle operator should make none.
 */

type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values; object keys whose value is undefined count as absent. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysOf = (o: Record<string, Json>) => Object.keys(o).filter((k) => o[k] !== undefined);
    const aKeys = keysOf(a);
    return aKeys.length === keysOf(b).length && aKeys.every((key) => jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * True when everything `desired` says is already in `live`: objects may have more keys in
 * `live` (defaults, other managers' fields); lists must match item by item, where each item is
 * again a subset. This is the question "would applying `desired` change anything I set?".
 */
export function jsonContains(live: Json, desired: Json): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((item, i) => jsonContains(live[i], item));
  }
  if (isPlainObject(desired)) {
    return isPlainObject(live) && Object.keys(desired).every((key) => jsonContains(live[key], desired[key]));
  }
  return live === desired;
}

/** JSON with object keys sorted, so equal values serialise equally (for hashing). */
export function stableStringify(value: Json): string {
  if (Array.isArray(value)) return `[${value.map((item) => stableStringify(item ?? null)).join(',')}]`;
  if (isPlainObject(value)) {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
