import { Agent, request } from 'undici';
import { frontPort, writeGatePath } from '../../../registry-auth/pod-contract.ts';
import { WriteGateReport } from '../../../registry-auth/write-gate.ts';

/**
 * Each registry Pod's door, asked which write gate it holds (GET /dockyard/write-gate on the auth
 * container's port, at the Pod's IP: the Service would answer for one Pod at random). Every Pod
 * must say it holds the gate before the collector starts, so one that does not answer counts as
 * not holding it; the sequence waits for it until the gate's deadline.
 */
export interface DoorAddress {
  /** The Pod's name, for messages. */
  pod: string;
  ip: string;
}

export interface DoorReading {
  pod: string;
  report: WriteGateReport | undefined;
  /** Why the door gave no report (connection refused, timeout, an unexpected answer). */
  problem?: string;
}

export interface DoorConnection {
  tls: boolean;
  /** PEM of the CA the registry certificate chains to; the system's CAs when undefined. */
  ca?: string;
  /** The name the certificate is issued for (the Service's), checked instead of the Pod IP. */
  serverName: string;
  timeoutMs?: number;
}

const defaultTimeoutMs = 3_000;

export async function readDoors(doors: readonly DoorAddress[], connection: DoorConnection): Promise<DoorReading[]> {
  if (doors.length === 0) return [];
  const timeoutMs = connection.timeoutMs ?? defaultTimeoutMs;
  const agent = new Agent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: timeoutMs,
      ...(connection.tls ? { servername: connection.serverName, ...(connection.ca !== undefined ? { ca: connection.ca } : {}) } : {}),
    },
  });
  try {
    return await Promise.all(doors.map((door) => readDoor(door, connection.tls, agent, timeoutMs)));
  } finally {
    await agent.close();
  }
}

async function readDoor(door: DoorAddress, tls: boolean, agent: Agent, timeoutMs: number): Promise<DoorReading> {
  const host = door.ip.includes(':') ? `[${door.ip}]` : door.ip;
  const url = `${tls ? 'https' : 'http'}://${host}:${frontPort}${writeGatePath}`;
  try {
    const response = await request(url, { dispatcher: agent, method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.body.text();
    if (response.statusCode !== 200) return { pod: door.pod, report: undefined, problem: `answered HTTP ${response.statusCode}` };
    const parsed = WriteGateReport.safeParse(JSON.parse(text));
    if (!parsed.success) return { pod: door.pod, report: undefined, problem: 'answered with an unreadable write gate report' };
    return { pod: door.pod, report: parsed.data };
  } catch (error) {
    const reason = error instanceof Error ? (error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : error.message) : String(error);
    return { pod: door.pod, report: undefined, problem: reason.slice(0, 200) };
  }
}

/** Which doors did not report, for the message of a run that waited on them. */
export function describeSilentDoors(readings: readonly DoorReading[]): string | undefined {
  const silent = readings.filter((reading) => reading.report === undefined);
  if (silent.length === 0) return undefined;
  const named = silent.slice(0, 3).map((reading) => `${reading.pod} (${reading.problem ?? 'no answer'})`);
  return `${silent.length} of ${readings.length} registry Pods did not report the write gate: ${named.join(', ')}${silent.length > 3 ? ', ...' : ''}`;
}
