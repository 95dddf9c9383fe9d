import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { durationMilliseconds } from '../api/v1alpha1/duration.ts';
import { parseAuthServerArgs } from '../auth-server/options.ts';
import { watchFiles, type FileSetWatcher } from '../auth-server/file-watch.ts';
import { RecordJournal } from '../auth-server/push-records/journal.ts';
import { createAuthServer } from '../auth-server/server.ts';
import { followWriteGateFile } from '../auth-server/write-gate-file.ts';
import { createDoorWriteGate } from '../auth-server/write-gate.ts';
import { parseListenAddress } from '../runtime/health-server.ts';
import { createLogger } from '../log.ts';
import { parseIdentities, type IdentitiesDocument } from '../registry-auth/identities.ts';
import { loadTokenSigningKey } from '../registry-auth/token-signing-key.ts';

export { authServerUsage } from '../auth-server/options.ts';

/**
 * `dockyard auth-server`: loads the signing key, follows the mounted identities (and TLS files)
 * as kubelet updates them, and serves until SIGTERM/SIGINT. Logs name usernames and scopes,
 * never passwords, hashes or tokens.
 */
export async function authServerCommand(args: string[]): Promise<number> {
  const options = parseAuthServerArgs(args);
  const log = createLogger({ name: 'dockyard-auth-server', level: options.logLevel });
  const { host, port } = parseListenAddress(options.listen);
  const reloadIntervalMs = durationMilliseconds(options.reloadInterval);

  const signingKey = loadTokenSigningKey({
    privateKey: await readFile(options.signingKeyFile, 'utf8'),
    certificate: await readFile(options.signingCertificateFile, 'utf8'),
  });

  let identities: IdentitiesDocument | undefined;
  const watchers: FileSetWatcher[] = [];
  watchers.push(
    await watchFiles([options.identitiesFile], {
      intervalMs: reloadIntervalMs,
      onChange: ([content]) => {
        const next = parseIdentities(content!.toString('utf8'));
        const reloaded = identities !== undefined;
        identities = next;
        log.info(
          { identities: next.identities.length, usernames: next.identities.map((record) => record.username) },
          reloaded ? 'reloaded identities' : 'loaded identities',
        );
      },
      onError: (error) => log.error({ err: errorMessage(error) }, 'kept the previous identities: the identities file could not be loaded'),
    }),
  );

  const writeGate = options.writeGateFile === undefined ? undefined : createDoorWriteGate({ log });
  if (writeGate !== undefined && options.writeGateFile !== undefined) {
    watchers.push(await followWriteGateFile(options.writeGateFile, { intervalMs: reloadIntervalMs, gate: writeGate, log }));
  }

  const readTls = async (files: { certificateFile: string; keyFile: string }) => ({
    certificate: await readFile(files.certificateFile),
    key: await readFile(files.keyFile),
  });
  let pushRecords: RecordJournal | undefined;
  if (options.recordsDir !== undefined) {
    const opened = await RecordJournal.open({
      directory: options.recordsDir,
      instance: options.recordsInstance ?? hostname(),
      flushIntervalMs: durationMilliseconds(options.recordsFlushInterval),
      compactAfterLines: 100_000,
      log,
    });
    pushRecords = opened.journal;
    log.info({ directory: options.recordsDir, ...opened.loaded, ...pushRecords.book.size }, 'loaded the push records');
  }

  const server = createAuthServer({
    upstream: new URL(options.upstream),
    service: options.service,
    issuer: options.issuer,
    tokenLifetimeSeconds: Math.floor(durationMilliseconds(options.tokenLifetime) / 1000),
    anonymousPull: options.anonymousPull,
    identities: () => identities!,
    signingKey,
    ...(writeGate !== undefined ? { writeGate } : {}),
    ...(options.tls ? { tls: await readTls(options.tls) } : {}),
    ...(pushRecords !== undefined ? { pushRecords } : {}),
    log,
  });
  if (options.tls) {
    let initial = true;
    watchers.push(
      await watchFiles([options.tls.certificateFile, options.tls.keyFile], {
        intervalMs: reloadIntervalMs,
        onChange: ([certificate, key]) => {
          // The first call repeats what the server started with, unless the files changed in between.
          server.setTls({ certificate: certificate!, key: key! });
          if (!initial) log.info('reloaded the TLS certificate');
          initial = false;
        },
        onError: (error) => log.error({ err: errorMessage(error) }, 'kept the previous TLS certificate: the new one could not be loaded'),
      }),
    );
  }

  const address = await server.listen(host, port);
  log.info(
    {
      address: `${address.address}:${address.port}`,
      upstream: options.upstream,
      service: options.service,
      tls: options.tls !== undefined,
      anonymousPull: options.anonymousPull,
    },
    'serving the token service and registry proxy',
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info({ signal }, 'shutting down');
  for (const watcher of watchers) watcher.stop();
  await server.close();
  await pushRecords?.close();
  return 0;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
