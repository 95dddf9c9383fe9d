import { pino, type Logger } from 'pino';

/**
 * The process logger: JSON lines on stdout, with Kubernetes-style keys. Secrets are redacted by
 * path as a second line of defence; the first is never to log them at all.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'dockyard',
    level: options.level ?? process.env['DOCKYARD_LOG_LEVEL'] ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
