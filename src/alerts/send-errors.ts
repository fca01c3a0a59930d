import { DiscordAPIError } from 'discord.js';

/** Discord error codes after which retrying a send can never help. */
const UNKNOWN_CHANNEL = 10003;
const MISSING_ACCESS = 50001;
const MISSING_PERMISSIONS = 50013;
const CANNOT_SEND_IN_CHANNEL = 50008;

/**
 * What a failed send means: the channel is gone; Herald may not post there; a definite refusal (4xx) that a retry
 * would repeat; or an outcome unknown (network error, 5xx, timeout: the message may exist), worth retrying as it is.
 */
export type SendFailure = 'channel_gone' | 'forbidden' | 'refused' | 'unknown';

export function classifySendError(error: unknown): SendFailure {
  const code = error instanceof DiscordAPIError ? Number(error.code) : null;
  if (code === UNKNOWN_CHANNEL) return 'channel_gone';
  if (code === MISSING_ACCESS || code === MISSING_PERMISSIONS || code === CANNOT_SEND_IN_CHANNEL) return 'forbidden';
  if (error instanceof DiscordAPIError && error.status >= 400 && error.status < 500) return 'refused';
  return 'unknown';
}

/** One line for the logs: Discord's status and code when it answered, else the error's message. */
export function describe(error: unknown): string {
  if (error instanceof DiscordAPIError) return `${error.status} ${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Discord's code and message ("50013 Missing Permissions"), for people; the error's message otherwise. */
export function discordAnswer(error: unknown): string {
  if (error instanceof DiscordAPIError) return `${error.code} ${error.message}`.slice(0, 200);
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}
