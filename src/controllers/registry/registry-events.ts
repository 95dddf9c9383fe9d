import type { CredentialEvent } from '../../registry-auth/credential-plan.ts';
import type { ReconcileContext } from '../../runtime/controller.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import type { FanOutResult } from './fan-out.ts';

/** events.k8s.io caps a note at 1 kB; a long list is cut with a count of what was left out. */
function listNote(prefix: string, items: readonly string[], limit = 900): string {
  let note = prefix;
  for (const [index, item] of items.entries()) {
    const next = `${note}${index === 0 ? '' : ', '}${item}`;
    if (next.length > limit) return `${note} and ${items.length - index} more`;
    note = next;
  }
  return note;
}

/**
 * One Event per kind of change a reconcile made, on the Registry: what it applied, where the pull
 * Secret went or left, and what happened to credentials (usernames only). A reconcile that
 * changed nothing records nothing, so Events mean something happened.
 */
export function recordChanges(
  context: ReconcileContext<KubeObject>,
  changes: { written: readonly string[]; fanOut?: FanOutResult; credentialEvents?: readonly CredentialEvent[] },
): void {
  if (changes.written.length > 0) {
    context.recordEvent({ type: 'Normal', reason: 'Applied', action: 'Reconcile', note: listNote('applied ', changes.written) });
  }
  if (changes.fanOut !== undefined && changes.fanOut.changed.length > 0) {
    context.recordEvent({
      type: 'Normal',
      reason: 'PullSecretDistributed',
      action: 'Reconcile',
      note: listNote('placed the pull Secret in ', changes.fanOut.changed),
    });
  }
  if (changes.fanOut !== undefined && changes.fanOut.removed.length > 0) {
    context.recordEvent({
      type: 'Normal',
      reason: 'PullSecretWithdrawn',
      action: 'Reconcile',
      note: listNote('removed the pull Secret from ', changes.fanOut.removed),
    });
  }
  const credentialEvents = changes.credentialEvents ?? [];
  if (credentialEvents.length > 0) {
    // One Event for all roles: a first reconcile creates three credentials, a rotation stages three.
    context.recordEvent({
      type: 'Normal',
      reason: 'CredentialsChanged',
      action: 'RotateCredentials',
      note: listNote(
        'credentials: ',
        credentialEvents.map((event) => `${event.role} ${event.username} ${event.change}`),
      ),
    });
  }
}
