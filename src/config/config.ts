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
  STORE_PREFIX: z.string().trim().regex(/^[a-z]{0,24}$/, 'must be at most 24 lowercase letters').optional(),
  HERALD_ROLE: z.enum(['all', 'gateway', 'worker'], 'must be all, gateway or worker').default('all'),
  SHARD_COUNT: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(10_000)]).optional(),
  SHARDS: z
    .string()
    .trim()
    .refine((v) => v === 'auto' || /^\d+(\s*,\s*\d+)*$/.test(v), 'must be auto or shard ids separated by commas, e.g. 0,1')
    .optional(),
  RATING_REACTIONS: bool.default(true),
  DISCORD_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(44, 'must be at most 44: Discord allows 50 requests a second per bot, and the limiter\'s windows may let 9/8 of the budget into one second').default(40),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  JOB_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
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
  /** Lowercase letters in front of every key (STORE_PREFIX): several Heralds, or test runs, on one Redis. */
  storePrefix: string | undefined;
  /** What this process does (HERALD_ROLE): everything (one process), the Discord gateway, or polling and delivery. */
  role: HeraldRole;
  /** discord.js shard settings for a gateway: which shards this process runs, of how many ('auto': Discord says). */
  sharding: { shards: number[] | 'auto'; shardCount: number | undefined } | null;
  /** Add the bot's own 1️⃣–5️⃣ reactions to every alert (RATING_REACTIONS): 5 extra requests an alert. */
  ratingReactions: boolean;
  /** The bot-wide request budget delivery keeps under (Discord allows 50/s per bot, across all processes). */
  discordRequestsPerSecond: number;
  /** Jobs a worker runs at once (polls and sends). */
  workerConcurrency: number;
  /** How long a job stays locked to a worker that stopped answering before another takes it over. */
  jobLockMs: number;
}

export type HeraldRole = 'all' | 'gateway' | 'worker';

/** Roles other than `all` share their work through Redis (BullMQ, pub/sub); the store URL must be one. */
export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\//i.test(url.trim());
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
  if (c.HERALD_ROLE !== 'all' && !isRedisUrl(c.STORE_URL)) {
    throw new ConfigError(
      `HERALD_ROLE=${c.HERALD_ROLE} shares its work with other Herald processes through Redis, but STORE_URL is ${c.STORE_URL.replace(/\/\/[^@/]*@/, '//***@')}. Set STORE_URL=redis://host:6379 for gateways and workers, or HERALD_ROLE=all (one process) for SQLite or PostgreSQL.`,
    );
  }
  if ((c.SHARDS !== undefined || c.SHARD_COUNT !== undefined) && c.HERALD_ROLE === 'worker') {
    throw new ConfigError('SHARDS and SHARD_COUNT are for gateway processes (HERALD_ROLE=gateway or all); a worker has no gateway connection. Remove them from the worker\'s environment.');
  }
  const sharding = shardingOf(c.SHARDS, c.SHARD_COUNT);
  if (sharding && Array.isArray(sharding.shards) && sharding.shardCount !== undefined) {
    const bad = sharding.shards.filter((id) => id >= sharding.shardCount!);
    if (bad.length) throw new ConfigError(`SHARDS lists shard ${bad.join(', ')}, but SHARD_COUNT=${sharding.shardCount} numbers shards 0 to ${sharding.shardCount - 1}.`);
  }
  if (sharding && Array.isArray(sharding.shards) && sharding.shardCount === undefined) {
    throw new ConfigError('SHARDS needs SHARD_COUNT (the total number of shards across all gateway processes), e.g. SHARDS=0,1 SHARD_COUNT=4.');
  }
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
    storePrefix: c.STORE_PREFIX,
    role: c.HERALD_ROLE,
    sharding: shardingOf(c.SHARDS, c.SHARD_COUNT),
    ratingReactions: c.RATING_REACTIONS,
    discordRequestsPerSecond: c.DISCORD_REQUESTS_PER_SECOND,
    workerConcurrency: c.WORKER_CONCURRENCY,
    jobLockMs: c.JOB_LOCK_MS,
    userAgent: `HeraldBot/0.1 (+${REPOSITORY_URL}; Discord news-alert bot)`,
  };
}

/** discord.js's `shards` / `shardCount` from SHARDS and SHARD_COUNT; null: one shard (discord.js's default). */
function shardingOf(shards: string | undefined, count: number | 'auto' | undefined): Config['sharding'] {
  if (shards === undefined && count === undefined) return null;
  if (shards === 'auto' || count === 'auto') return { shards: 'auto', shardCount: undefined };
  if (shards === undefined) return { shards: Array.from({ length: count! }, (_, i) => i), shardCount: count };
  return { shards: [...new Set(shards.split(',').map((s) => Number(s.trim())))].sort((a, b) => a - b), shardCount: count };
}
