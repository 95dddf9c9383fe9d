import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { followWriteGateFile } from '../../../src/auth-server/write-gate-file.ts';
import { createDoorWriteGate, maintenanceRefusal, type DoorWriteGate } from '../../../src/auth-server/write-gate.ts';
import type { FileSetWatcher } from '../../../src/auth-server/file-watch.ts';
import { writeGatePath } from '../../../src/registry-auth/pod-contract.ts';
import { parseWriteGate, serializeWriteGate, WriteGateReport, type WriteGate } from '../../../src/registry-auth/write-gate.ts';
import { eventually } from '../../support/eventually.ts';
import { capturingLogger, FakeUpstream, send, startAuthServer, type Harness } from './harness.ts';

const upstream = new FakeUpstream();
let harness: Harness;
let gate: DoorWriteGate;
let clock = new Date('2026-12-01T04:00:00Z');
const upstreamSaw: string[] = [];

function gateUntil(until: string, id = 'gc-1'): WriteGate {
  return { id, reason: 'garbage collection', since: '2026-12-01T04:00:00Z', until };
}

beforeAll(async () => {
  const url = await upstream.start();
  gate = createDoorWriteGate({ log: capturingLogger().log, now: () => clock });
  harness = await startAuthServer(url, { writeGate: gate });
});

beforeEach(() => {
  clock = new Date('2026-12-01T04:00:00Z');
  gate.set(undefined);
  upstreamSaw.length = 0;
  upstream.handler = (request, response) => {
    upstreamSaw.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => response.writeHead(202).end());
  };
});

afterAll(async () => {
  await harness?.server.close();
  await upstream.stop();
});

const writes = [
  { method: 'POST', path: '/v2/apps/web/blobs/uploads/' },
  { method: 'PATCH', path: '/v2/apps/web/blobs/uploads/some-session' },
  { method: 'PUT', path: '/v2/apps/web/manifests/v1' },
  { method: 'DELETE', path: '/v2/apps/web/manifests/sha256:0000000000000000000000000000000000000000000000000000000000000000' },
];

describe('the door with a write gate', () => {
  it('lets every write through while no gate stands', async () => {
    for (const write of writes) expect((await send(harness.port, write)).status).toBe(202);
    expect(upstreamSaw).toHaveLength(writes.length);
  });

  it('refuses pushes and deletes with DENIED, the maintenance and its end, and Retry-After; distribution never sees them', async () => {
    gate.set(gateUntil('2026-12-01T04:10:00Z'));
    for (const write of writes) {
      const reply = await send(harness.port, { ...write, headers: { authorization: 'Bearer any-token-even-a-valid-one' } });
      expect(reply.status).toBe(403);
      expect(reply.headers['retry-after']).toBe('600');
      const body = JSON.parse(reply.body.toString('utf8')) as { errors: { code: string; message: string }[] };
      expect(body.errors[0]!.code).toBe('DENIED');
      expect(body.errors[0]!.message).toContain('maintenance (garbage collection)');
      expect(body.errors[0]!.message).toContain('until 2026-12-01T04:10:00Z');
    }
    expect(upstreamSaw).toEqual([]);
  });

  it('lets pulls through while the gate stands', async () => {
    gate.set(gateUntil('2026-12-01T04:10:00Z'));
    upstream.handler = (request, response) => {
      upstreamSaw.push(`${request.method} ${request.url}`);
      response.writeHead(200).end('layer');
    };
    expect((await send(harness.port, { path: '/v2/apps/web/blobs/sha256:abc' })).body.toString()).toBe('layer');
    expect((await send(harness.port, { method: 'HEAD', path: '/v2/apps/web/manifests/v1' })).status).toBe(200);
    expect(upstreamSaw).toHaveLength(2);
  });

  it('refuses an upload with a body without reading it, and the connection still answers', async () => {
    gate.set(gateUntil('2026-12-01T04:10:00Z'));
    const reply = await send(harness.port, { method: 'PUT', path: '/v2/apps/web/blobs/uploads/x?digest=sha256:1', body: Buffer.alloc(4 << 20, 7) });
    expect(reply.status).toBe(403);
    expect(upstreamSaw).toEqual([]);
  });

  it('opens on its own once the gate end has passed, even if nobody lifts it', async () => {
    gate.set(gateUntil('2026-12-01T04:10:00Z'));
    clock = new Date('2026-12-01T04:10:00.001Z');
    expect((await send(harness.port, writes[0]!)).status).toBe(202);
    const report = WriteGateReport.parse(JSON.parse((await send(harness.port, { path: writeGatePath })).body.toString('utf8')));
    expect(report).toEqual({ gateId: null, until: null, writesInFlight: 0 });
  });

  it('reports the gate in force and the writes admitted before it that still run', async () => {
    let release: () => void = () => undefined;
    upstream.handler = (request, response) => {
      request.resume();
      release = () => response.writeHead(201).end();
    };
    const slowPush = send(harness.port, { method: 'PUT', path: '/v2/apps/web/manifests/v1', body: '{}' });
    const report = async () => WriteGateReport.parse(JSON.parse((await send(harness.port, { path: writeGatePath })).body.toString('utf8')));
    await eventually(async () => (await report()).writesInFlight === 1, { what: 'the write to be counted', timeoutMs: 2_000, intervalMs: 10 });
    gate.set(gateUntil('2026-12-01T04:10:00Z', 'gc-7'));
    expect(await report()).toEqual({ gateId: 'gc-7', until: '2026-12-01T04:10:00Z', writesInFlight: 1 });
    release();
    expect((await slowPush).status).toBe(201);
    await eventually(async () => (await report()).writesInFlight === 0, { what: 'the write to end', timeoutMs: 2_000, intervalMs: 10 });
  });
});

describe('maintenanceRefusal', () => {
  it('asks to retry between 1 s and the time left, rounded up', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 10_000_000 }), (leftMs) => {
        const now = new Date('2026-12-01T04:00:00Z');
        const until = new Date(now.getTime() + leftMs).toISOString();
        const seconds = Number(maintenanceRefusal(gateUntil(until), now).headers['retry-after']);
        expect(seconds).toBeGreaterThanOrEqual(1);
        expect(seconds).toBe(Math.max(1, Math.ceil(leftMs / 1000)));
      }),
    );
  });
});

describe('the write gate file', () => {
  it('round-trips a gate and an open door', () => {
    const written = gateUntil('2026-12-01T04:10:00Z');
    expect(parseWriteGate(serializeWriteGate(written))).toEqual(written);
    expect(parseWriteGate(serializeWriteGate(undefined))).toBeUndefined();
    expect(parseWriteGate('')).toBeUndefined();
  });

  it('names what is wrong with a bad file', () => {
    expect(() => parseWriteGate('{')).toThrow('not JSON');
    expect(() => parseWriteGate('{"version":1,"gate":{"id":"x","reason":"gc","since":"yesterday","until":"2026-12-01T04:10:00Z"}}')).toThrow('gate.since');
  });

  let dir: string | undefined;
  let watcher: FileSetWatcher | undefined;
  afterEach(() => {
    watcher?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads a missing file as an open door, follows changes, and keeps the gate when a version is unreadable', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dockyard-gate-'));
    const file = join(dir, 'write-gate.json');
    const { log, output } = capturingLogger();
    const followed = createDoorWriteGate({ log, now: () => new Date('2026-12-01T04:00:00Z') });
    watcher = await followWriteGateFile(file, { intervalMs: 10, gate: followed, log });
    expect(followed.report().gateId).toBeNull();
    writeFileSync(file, serializeWriteGate(gateUntil('2026-12-01T04:10:00Z', 'gc-2')));
    await eventually(() => followed.report().gateId === 'gc-2', { what: 'the gate to be read', timeoutMs: 2_000, intervalMs: 10 });
    writeFileSync(file, 'not json');
    await eventually(() => output().includes('kept the previous write gate'), { what: 'the bad version to be reported', timeoutMs: 2_000, intervalMs: 10 });
    expect(followed.report().gateId).toBe('gc-2');
    rmSync(file);
    await eventually(() => followed.report().gateId === null, { what: 'the removed file to open the door', timeoutMs: 2_000, intervalMs: 10 });
  });
});
