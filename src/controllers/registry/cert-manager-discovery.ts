import type { ReconcileContext } from '../../runtime/controller.ts';
import { unlessNotFound } from '../../runtime/errors.ts';
import type { KubeObject } from '../../runtime/resource.ts';
import { certificateResource } from './builders/certificate.ts';

/** How long an answer about cert-manager's API stands: installing it is rare, asking is a request. */
const answerLifetimeMs = 60_000;

/**
 * Whether the cluster serves cert-manager's Certificate kind, asked at most once a minute. One
 * per controller instance: module state would outlive a leadership term and leak between the
 * operators a test process starts.
 */
export class CertManagerDiscovery {
  private answer: { installed: boolean; at: number } | undefined;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  async installed(context: ReconcileContext<KubeObject>): Promise<boolean> {
    if (this.answer !== undefined && this.now() - this.answer.at < answerLifetimeMs) return this.answer.installed;
    const discovery = await unlessNotFound(
      context.client.request('GET', `/apis/${certificateResource.group}/${certificateResource.version}`, { signal: context.signal }),
    );
    this.answer = { installed: discovery !== undefined, at: this.now() };
    return this.answer.installed;
  }
}
