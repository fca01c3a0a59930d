import { z } from 'zod';
import { validate as validateCron } from 'node-cron';

export const DISCORD_API_DEFAULT = 'https://discord.com/api';
export const REPOSITORY_URL = 'https://github.com/herald-bot/herald';

/** Bad or missing configuration: the message is a paragraph the operator can act on, naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', ''].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const snowflake = z.string().trim().regex(/^\d{17,20}$/, 'must be a Discord id (17–20 digits): right-click the server → Copy Server ID');

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

const schema = z.object({
  DISCORD_TOKEN: z.string().trim().min(1),
  DISCORD_API_URL: httpUrl.default(DISCORD_API_DEFAULT),
  GUILD_ID: z.union([z.literal('').transform(() => undefined), snowflake]).optional(),
  STORE_URL: z.string().trim().min(1).default('sqlite://data/herald.sqlite'),
  POLL_CRON: z
    .string()
    .trim()
    .default('*/2 * * * *')
    .refine((v) => validateCron(v), 'must be a cron expression, e.g. "*/2 * * * *" (every 2 minutes) or "*/30 * * * * *" (every 30 seconds)'),
  DEFAULT_FEEDS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(httpUrl)),
  ALLOW_PRIVATE_ADDRESSES: bool.default(false),
  FETCH_ARTICLES: bool.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_SUBSCRIPTIONS_PER_GUILD: z.coerce.number().int().min(1).max(100_000).default(200),
  MAX_FEEDS_PER_GUILD: z.coerce.number().int().min(1).max(10_000).default(50),
  MAX_REGEX_PER_GUILD: z.coerce.number().int().min(0).max(1_000).default(10),
  MAX_FEED_BYTES: z.coerce.number().int().min(10_000).max(100_000_000).default(5 * 1024 * 1024),
  DUPLICATE_WINDOW_HOURS: z.coerce.number().min(0, 'must be 0 (off) or more hours').max(24 * 30, 'must be at most 720 hours (30 days)').default(24),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
});

export interface Config {
  discordToken: string;
  discordApiUrl: string;
  guildId: string | undefined;
  storeUrl: string;
  pollCron: string;
  defaultFeeds: string[];
  allowPrivateAddresses: boolean;
  /** Fetch a matched item's article page when the feed gives no summary (FETCH_ARTICLES). */
  fetchArticles: boolean;
  logLevel: string;
  /** json or pretty; undefined: pretty on a terminal, JSON otherwise (src/log.ts). */
  logFormat: 'json' | 'pretty' | undefined;
  /** /metrics and /healthz on host:port when the port is set (0: any free port). Loopback by default: nothing to expose. */
  metrics: { port: number; host: string } | null;
  limits: { subscriptionsPerGuild: number; feedsPerGuild: number; feedBytes: number; regexPerGuild: number };
  userAgent: string;
  /** How long the same story from another outlet is folded into a channel's first alert; 0: off. */
  duplicateWindowHours: number;
}

const NO_TOKEN = `Herald needs a Discord bot token to start.
  1. Open https://discord.com/developers/applications, create an application, open "Bot" and press "Reset Token".
  2. Copy .env.example to .env and set DISCORD_TOKEN=<the token> (or export DISCORD_TOKEN in your shell).
  3. Run npm start again. The README ("Create the Discord application") has the invite link and permissions.`;

/** Reads and validates the environment. Throws ConfigError with a message that names each bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  if (!cleaned.DISCORD_TOKEN?.trim()) throw new ConfigError(NO_TOKEN);
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'configuration');
      return `  ${name}: ${issue.message} (got ${JSON.stringify(name === 'DISCORD_TOKEN' ? '[hidden]' : cleaned[name] ?? '')})`;
    });
    throw new ConfigError(`Herald's configuration has ${lines.length === 1 ? 'a problem' : 'problems'}; fix it in .env or the environment:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    discordToken: c.DISCORD_TOKEN,
    discordApiUrl: c.DISCORD_API_URL.replace(/\/+$/, ''),
    guildId: c.GUILD_ID,
    storeUrl: c.STORE_URL,
    pollCron: c.POLL_CRON,
    defaultFeeds: c.DEFAULT_FEEDS,
    allowPrivateAddresses: c.ALLOW_PRIVATE_ADDRESSES,
    fetchArticles: c.FETCH_ARTICLES,
    logLevel: c.LOG_LEVEL,
    logFormat: c.LOG_FORMAT,
    metrics: c.METRICS_PORT === undefined ? null : { port: c.METRICS_PORT, host: c.METRICS_HOST },
    limits: { subscriptionsPerGuild: c.MAX_SUBSCRIPTIONS_PER_GUILD, feedsPerGuild: c.MAX_FEEDS_PER_GUILD, feedBytes: c.MAX_FEED_BYTES, regexPerGuild: c.MAX_REGEX_PER_GUILD },
    duplicateWindowHours: c.DUPLICATE_WINDOW_HOURS,
    userAgent: `HeraldBot/0.1 (+${REPOSITORY_URL}; Discord news-alert bot)`,
  };
}
