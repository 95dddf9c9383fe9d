import { z } from 'zod';

/**
 * The write gate: `write-gate.json` in the auth Secret. While a gate stands and its `until` has
 * not passed, the registry's door refuses every push and delete and lets pulls through. The
 * operator writes it (before a garbage collection, and removes it after); `dockyard
 * auth-server` only reads it. Keeping it in the Secret the auth container already mounts makes
 * it durable (a restarted container or a new replica reads it at start) without changing the Pod.
 *
 * `until` is a promise the door keeps on its own: past it the gate no longer holds, whatever
 * the operator does, so a crashed operator cannot leave a registry read-only.
 */

const Timestamp = z.iso.datetime({ offset: false });

// A plain object, not a strict one: a door of an older release must still read what a newer operator wrote.
export const WriteGate = z.object({
  /** Names this gate (the garbage collection run), so the operator knows which gate a door reports applied. */
  id: z.string().min(1).max(128),
  /** Why, in words for the refused client: "garbage collection". */
  reason: z.string().min(1).max(200),
  since: Timestamp,
  until: Timestamp,
});
export type WriteGate = z.infer<typeof WriteGate>;

const WriteGateDocument = z.object({ version: z.literal(1), gate: WriteGate.nullable() });

/** The file's content for a gate, or for none (an open door). */
export function serializeWriteGate(gate: WriteGate | undefined): string {
  return `${JSON.stringify({ version: 1, gate: gate ?? null })}\n`;
}

/** The gate a file holds, undefined when it holds none; throws naming what is wrong. An empty file is no gate. */
export function parseWriteGate(text: string): WriteGate | undefined {
  if (text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('write gate file is not JSON');
  }
  const parsed = WriteGateDocument.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`write gate file is invalid: ${issues.slice(0, 5).join('; ')}`);
  }
  return parsed.data.gate ?? undefined;
}

/** Whether the gate holds at `now`: it exists and its `until` is still ahead. */
export function gateHolds(gate: WriteGate | undefined, now: Date): boolean {
  return gate !== undefined && Date.parse(gate.until) > now.getTime();
}

/**
 * What the door reports on its write-gate endpoint, so the operator knows the gate is in force
 * before it starts the collector: which gate it holds, and how many writes it admitted before
 * the gate that are still running (the collector must wait for those to end).
 */
export const WriteGateReport = z.object({
  /** The id of the gate in force, or null when the door is open. */
  gateId: z.string().nullable(),
  until: Timestamp.nullable(),
  writesInFlight: z.int().min(0),
});
export type WriteGateReport = z.infer<typeof WriteGateReport>;
