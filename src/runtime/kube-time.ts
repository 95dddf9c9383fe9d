/** metav1.Time: RFC 3339 with whole seconds, as conditions and most timestamps are stored. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with six fractional digits (Leases, events.k8s.io Events). */
export function microTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, '000Z');
}
