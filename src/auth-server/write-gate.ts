import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { gateHolds, type WriteGate, type WriteGateReport } from '../registry-auth/write-gate.ts';

/**
 * The door's side of the write gate (registry-auth/write-gate.ts). The door proxies every request
 * to distribution, which listens on the Pod's loopback only, so refusing writes here stops them
 * all, whatever token the client holds: tokens issued before the gate need not be waited out.
 *
 * The refusal is `403 DENIED` with the maintenance and its end in the message, and `Retry-After`.
 * A 4xx, because docker's registry client (distribution's HandleErrorResponse) reads the error
 * body only for 400-499 and shows a 503 as a bare "received unexpected HTTP status"; containerd
 * shows the message either way. DENIED, the distribution spec's code for a refused action, makes
 * docker stop at once with "denied: <message>" rather than retry a refusal that lasts minutes.
 */
export interface DoorWriteGate {
  /** Replaces the gate in force (undefined: none), as read from the gate file. */
  set(gate: WriteGate | undefined): void;
  /** The refusal for this request, or undefined to let it through (a read, or no gate). */
  refusal(request: IncomingMessage): WriteGateRefusal | undefined;
  /** Counts a write the gate let through until its answer ends. */
  admitted(request: IncomingMessage, response: ServerResponse): void;
  report(): WriteGateReport;
}

export interface WriteGateRefusal {
  status: 403;
  headers: Record<string, string>;
  body: string;
}

/** Methods that change nothing in distribution; everything else it routes (POST, PUT, PATCH, DELETE) writes. */
const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isWrite(method: string | undefined): boolean {
  return !readMethods.has((method ?? 'GET').toUpperCase());
}

export function createDoorWriteGate(options: { log: Logger; now?: () => Date }): DoorWriteGate {
  const now = options.now ?? (() => new Date());
  let gate: WriteGate | undefined;
  let writesInFlight = 0;
  let lapsedReported: string | undefined;

  const inForce = (): WriteGate | undefined => {
    if (gate === undefined) return undefined;
    if (gateHolds(gate, now())) return gate;
    if (lapsedReported !== gate.id) {
      lapsedReported = gate.id;
      options.log.warn({ gate: gate.id, until: gate.until }, 'the write gate lapsed at its end time; pushes are open again');
    }
    return undefined;
  };

  return {
    set(next) {
      if (next?.id === gate?.id && next?.until === gate?.until) return;
      gate = next;
      if (next === undefined) options.log.info('write gate lifted: pushes and deletes are open');
      else options.log.info({ gate: next.id, reason: next.reason, until: next.until }, 'write gate set: pushes and deletes are refused');
    },
    refusal(request) {
      if (!isWrite(request.method)) return undefined;
      const current = inForce();
      if (current === undefined) return undefined;
      return maintenanceRefusal(current, now());
    },
    admitted(request, response) {
      if (!isWrite(request.method)) return;
      writesInFlight += 1;
      response.once('close', () => {
        writesInFlight -= 1;
      });
    },
    report() {
      const current = inForce();
      return { gateId: current?.id ?? null, until: current?.until ?? null, writesInFlight };
    },
  };
}

/** The answer to a write while `gate` holds. */
export function maintenanceRefusal(gate: WriteGate, now: Date): WriteGateRefusal {
  const secondsLeft = Math.max(1, Math.ceil((Date.parse(gate.until) - now.getTime()) / 1000));
  const refused = `pushes and deletes are refused until ${gate.until} at the latest`;
  const message = `registry under maintenance (${gate.reason}): ${refused}; pulls work; retry the push after that`;
  const body = JSON.stringify({ errors: [{ code: 'DENIED', message, detail: { maintenance: gate.reason, until: gate.until } }] });
  return {
    status: 403,
    headers: {
      'content-type': 'application/json',
      'retry-after': String(secondsLeft),
      'docker-distribution-api-version': 'registry/2.0',
    },
    body: `${body}\n`,
  };
}
