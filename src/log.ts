import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * The process logger: JSON lines on stdout, with Kubernetes-style keys. Secrets are redacted by
 * path as a second line of defence; the first is never to log them at all.
 *
 * On a terminal (`make dev`, a person running a command) the lines are pretty-printed by
 * pino-pretty, a development dependency: the image has no node_modules, so there it is absent
 * and the output stays JSON, as it does whenever stdout is not a TTY or DOCKYARD_LOG_FORMAT=json.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'dockyard',
      level: options.level ?? process.env['DOCKYARD_LOG_LEVEL'] ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    logDestination(),
  );
}

export type LogFormat = 'json' | 'pretty';

/** Pretty for a person at a terminal, JSON for everything else; DOCKYARD_LOG_FORMAT overrides. */
export function logFormat(stdoutIsTTY: boolean, requested: string | undefined): LogFormat {
  if (requested === 'json' || requested === 'pretty') return requested;
  return stdoutIsTTY ? 'pretty' : 'json';
}

function logDestination(): DestinationStream | undefined {
  if (logFormat(process.stdout.isTTY === true, process.env['DOCKYARD_LOG_FORMAT']) === 'json') return undefined;
  // Loaded at run time, never bundled: a require of a computed module the bundler cannot follow.
  const load = createRequire(import.meta.url);
  try {
    const pretty = load('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
    // Synchronous, in this thread: a development aid, where a worker thread would be one more moving part.
    return pretty({ colorize: process.stdout.isTTY === true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}
