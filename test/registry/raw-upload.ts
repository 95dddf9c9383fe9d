import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

export interface EarlyAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Body bytes the client had written when the answer was complete. */
  bytesSentBeforeAnswer: number;
}

const chunk = Buffer.alloc(1024 * 1024, 0x5a);

/**
 * A blob upload as a client streams it: headers, then `size` bytes (on a connection of its own
 * unless an agent is given, which asks the server to close it after the answer);
 * with `Expect: 100-continue` the body waits for the server's go-ahead (curl's way for large
 * bodies). The body keeps flowing after an early answer, as curl and Go's transport keep writing
 * until they notice. Resolves once the answer is read to its end; rejects when the connection
 * fails before that (ECONNRESET, EPIPE), which is what a client that never sees the answer
 * experiences. Write errors after a complete answer are the server closing a connection whose
 * body it no longer wants, and clients ignore them.
 */
export function uploadBody(
  url: string,
  options: { method?: string; size: number; expectContinue: boolean; headers?: Record<string, string>; agent?: Agent | false },
): Promise<EarlyAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const outgoing = request(url, {
      method: options.method ?? 'PUT',
      agent: options.agent ?? false,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(options.size),
        ...(options.expectContinue ? { expect: '100-continue' } : {}),
        ...options.headers,
      },
    });
    const writeBody = () => {
      while (sent < options.size && !outgoing.destroyed) {
        const piece = chunk.subarray(0, Math.min(chunk.length, options.size - sent));
        sent += piece.length;
        const more = outgoing.write(piece);
        if (sent >= options.size) {
          outgoing.end();
          return;
        }
        if (!more) {
          outgoing.once('drain', writeBody);
          return;
        }
      }
    };
    outgoing.on('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        answered = true;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts).toString('utf8'), bytesSentBeforeAnswer: sent });
        outgoing.destroy();
      });
      response.on('error', (error) => {
        if (!answered) reject(error);
      });
    });
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.expectContinue) {
      outgoing.flushHeaders();
      outgoing.once('continue', writeBody);
    } else {
      writeBody();
    }
  });
}
