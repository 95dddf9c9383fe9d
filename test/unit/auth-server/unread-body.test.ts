import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { discardUnreadBody, type UnreadBodyLimits } from '../../../src/auth-server/unread-body.ts';
import { uploadBody } from '../../registry/raw-upload.ts';

// A server that answers 401 at once, as distribution does to an upload without a token, and
// leaves the body to discardUnreadBody with small limits.
let server: Server | undefined;

async function earlyAnswerServer(limits: UnreadBodyLimits): Promise<string> {
  server = createServer((incoming, response) => {
    const unread = discardUnreadBody(incoming, response, true, limits);
    response.writeHead(401, { 'content-type': 'application/json', 'content-length': '2', 'www-authenticate': 'Bearer realm="r"' });
    response.write('{}');
    void unread.settled.then(() => response.end());
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('discardUnreadBody', () => {
  it('lets a client that streams far past the bound read the answer, whether it asked for keep-alive or close', async () => {
    const url = await earlyAnswerServer({ maxDiscardBytes: 1024 * 1024, maxDiscardMs: 5_000, lingerMs: 2_000 });
    for (const keepAlive of [false, true]) {
      const agent = keepAlive ? new Agent({ keepAlive: true }) : false;
      const answer = await uploadBody(url, { size: 32 * 1024 * 1024, expectContinue: false, agent });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="r"');
      if (agent) agent.destroy();
    }
  });

  it('keeps the connection for the next request when the rest of the body is within the bound', async () => {
    const url = await earlyAnswerServer({ maxDiscardBytes: 8 * 1024 * 1024, maxDiscardMs: 5_000, lingerMs: 2_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ports: number[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      await new Promise<void>((resolve, reject) => {
        const outgoing = request(url, { method: 'PUT', agent, headers: { 'content-length': String(2 * 1024 * 1024) } }, (response) => {
          ports.push(response.socket.localPort!);
          response.resume();
          response.on('end', resolve);
        });
        outgoing.on('error', reject);
        outgoing.end(Buffer.alloc(2 * 1024 * 1024));
      });
    }
    agent.destroy();
    expect(ports[1]).toBe(ports[0]);
  });

  it('asks to close the connection when the client still waits for 100 Continue and so sends no body', async () => {
    server = createServer();
    server.on('checkContinue', (incoming, response) => {
      const unread = discardUnreadBody(incoming, response, false);
      response.writeHead(401, unread.closeConnection ? { connection: 'close' } : {}).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const answer = await uploadBody(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { size: 1024, expectContinue: true });
    expect(answer).toMatchObject({ status: 401, bytesSentBeforeAnswer: 0 });
    expect(answer.headers.connection).toBe('close');
  });
});
