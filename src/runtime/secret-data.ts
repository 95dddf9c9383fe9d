/** A value of a Secret's `data` (base64, as the API returns it) as text; undefined when the key is absent. */
export function secretText(data: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  const value = data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}
