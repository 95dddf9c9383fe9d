import type { X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { IdentitiesDocument } from '../../registry-auth/identities.ts';
import { clientScheme, tokenRealm } from '../proxy.ts';
import { handlePushRecordsRequest } from './endpoint.ts';
import type { RecordJournal } from './journal.ts';
import { maintainerCheck, recordEventOf } from './observe.ts';

/** What the door's server needs to record and to serve records: a hook on proxied answers and a handler for the records path. */
export interface PushRecordsHooks {
  onAnswer: (request: IncomingMessage, status: number, headers: IncomingHttpHeaders) => void;
  serve: (request: IncomingMessage, response: ServerResponse) => void;
}

export function pushRecordsHooks(options: {
  journal: RecordJournal;
  certificate: X509Certificate;
  service: string;
  identities: () => IdentitiesDocument;
  scheme: 'http' | 'https';
  now: () => Date;
  log: Logger;
}): PushRecordsHooks {
  const isMaintainer = maintainerCheck(options.certificate, options.identities);
  const context = {
    journal: options.journal,
    certificate: options.certificate,
    service: options.service,
    identities: options.identities,
    now: options.now,
    log: options.log,
    realm: (request: IncomingMessage) => tokenRealm(request, clientScheme(request, options.scheme)),
  };
  return {
    onAnswer: (request, status, headers) => {
      const event = recordEventOf(
        { method: request.method, url: request.url, status, requestHeaders: request.headers, headers, authorization: request.headers.authorization },
        options.now().getTime(),
        isMaintainer,
      );
      if (event !== undefined) options.journal.record(event);
    },
    serve: (request, response) => {
      handlePushRecordsRequest(request, response, context).catch((error: unknown) => {
        options.log.error({ err: error instanceof Error ? error.message : String(error) }, 'push records request failed');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain', connection: 'close' });
        response.end('internal error\n');
      });
    },
  };
}
