import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What happens to a request body the server answers without reading: distribution's early 401
 * on an upload whose token is missing or expired. The client must see the answer. Closing the
 * connection while it is still sending makes the kernel reset it, and the reset can reach the
 * client before it has read the answer (ECONNRESET instead of the 401); reading a 2 GB body to
 * the end costs what the early answer was meant to spare. So the rest of the body is read and
 * thrown away, and the answer is ended (which is when Node closes a connection the client asked
 * to close) only once the body is in, up to a bound; past it the server closes its side and
 * keeps discarding for a moment, so that the client's last writes meet an open socket.
 */
export interface UnreadBodyLimits {
  /** Bytes discarded after the answer before the server gives up on the body. */
  maxDiscardBytes: number;
  /** How long the client may take to finish sending. */
  maxDiscardMs: number;
  /** How long the half-closed connection keeps discarding before it is cut. */
  lingerMs: number;
}

// Generous: discarding costs bandwidth, not memory, and a client that has read the answer stops.
export const defaultUnreadBodyLimits: UnreadBodyLimits = { maxDiscardBytes: 256 * 1024 * 1024, maxDiscardMs: 10_000, lingerMs: 2_000 };

export interface UnreadBody {
  /** The answer must say `Connection: close`: the client waits for `100 Continue` and sends no body, so the connection cannot carry another request. */
  closeConnection: boolean;
  /** Settles when the answer may end: the body is in, the client went away, or the bound passed. */
  settled: Promise<void>;
}

/** Whether the request announces a body (RFC 9112 6.3: Transfer-Encoding, or a Content-Length above 0). */
export function requestHasBody(request: IncomingMessage): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(request.headers['content-length'] ?? '0');
  return !Number.isFinite(length) || length > 0;
}

/** Whether the client waits for `100 Continue` before it sends the body. */
export function expectsContinue(request: IncomingMessage): boolean {
  return (request.headers.expect ?? '').toLowerCase() === '100-continue';
}

/**
 * Call before writing an answer to a request whose body nobody will read. `continued` says
 * whether the client was told `100 Continue` (a client that did not ask for it sends anyway).
 */
export function discardUnreadBody(
  request: IncomingMessage,
  response: ServerResponse,
  continued: boolean,
  limits: UnreadBodyLimits = defaultUnreadBodyLimits,
): UnreadBody {
  if (request.complete || request.destroyed || !requestHasBody(request)) return { closeConnection: false, settled: Promise.resolve() };
  if (expectsContinue(request) && !continued) return { closeConnection: true, settled: Promise.resolve() };

  const socket = request.socket;
  let discarded = 0;
  const settled = new Promise<void>((resolve) => {
    const settle = () => {
      clearTimeout(deadline);
      resolve();
    };
    let gaveUp = false;
    const giveUp = () => {
      if (gaveUp) return;
      gaveUp = true;
      settle();
      // After the answer: the client reads it, then the end of the stream; what it still sends
      // meanwhile is read and dropped until the connection is cut.
      response.once('finish', () => {
        socket.end();
        const cut = setTimeout(() => socket.destroy(), limits.lingerMs);
        cut.unref();
        socket.once('close', () => clearTimeout(cut));
      });
    };
    const deadline = setTimeout(giveUp, limits.maxDiscardMs);
    deadline.unref();
    request.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > limits.maxDiscardBytes) giveUp();
    });
    request.once('end', settle);
    // A client that goes away mid-body is no error of ours.
    request.on('error', settle);
    socket.once('close', settle);
  });
  return { closeConnection: false, settled };
}
