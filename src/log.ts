import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs, one JSON line per event. Callers add the guild/channel/feed they concern as fields.
 * Tokens never reach a log line: the redact list catches them even if a config object is logged whole.
 */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['token', '*.token', 'discordToken', '*.discordToken', 'headers.authorization'], censor: '[redacted]' },
    },
    destination as never,
  );
}

/** A logger that drops everything: the default for tests and pure helpers. */
export const silentLogger: Logger = pino({ level: 'silent' });
