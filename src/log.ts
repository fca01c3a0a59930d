import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * Readable lines for a person at a terminal, JSON lines for everything else (journald, docker, a pipe into a log
 * shipper); LOG_FORMAT overrides the guess.
 */
export function chooseLogFormat(override: LogFormat | undefined, isTty: boolean | undefined): LogFormat {
  return override ?? (isTty ? 'pretty' : 'json');
}

const REDACT = { paths: ['token', '*.token', 'discordToken', '*.discordToken', 'headers.authorization'], censor: '[redacted]' };

/**
 * Structured logs, one line per event. Callers add the guild/channel/feed they concern as fields.
 * Tokens never reach a log line: the redact list catches them even if a config object is logged whole.
 * `pretty` formats on the main thread, synchronously (no transport worker), so the last lines before an exit are
 * never lost.
 */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  const options = { level, base: undefined, redact: REDACT };
  if (format === 'pretty') {
    const pretty = pinoPretty({ sync: true, colorize: !destination && Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', destination: destination ?? 1 });
    return pino(options, pretty);
  }
  return pino(options, destination as never);
}

/** A logger that drops everything: the default for tests and pure helpers. */
export const silentLogger: Logger = pino({ level: 'silent' });
