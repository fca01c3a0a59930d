import { Events, Routes, type Client } from 'discord.js';
import { schedule, type ScheduledTask } from 'node-cron';
import { commands as allCommands } from '../commands/index.js';
import { AlertService } from './alerts/alert-service.js';
import { sendFeedDisabledNotices } from './alerts/notices.js';
import type { Config } from './config/config.js';
import { createDiscordClient } from './discord/client.js';
import type { Command } from './discord/command.js';
import { handleInteraction } from './discord/interactions.js';
import { FeedService } from './feeds/follow/feed-service.js';
import { createFetcher, type Fetcher, type FetcherOptions } from './feeds/fetch/fetcher.js';
import { ParsePool, type Parsers } from './feeds/parse/pool.js';
import { Poller, type CycleReport } from './feeds/poll/poller.js';
import { cronPeriodMs, SPREAD_SHARE } from './feeds/poll/scheduler.js';
import { silentLogger, type Logger } from './log.js';
import { SubscriptionService } from './match/subscription-service.js';
import { RatingService } from './ratings/rating-service.js';
import type { Services } from './services.js';
import { openStore, type StoreOptions } from './store/store.js';

/** How often expired rows (posted-story claims) are deleted from SQL stores; keyv only checks expiry on read. */
const SWEEP_INTERVAL_MS = 6 * 60 * 60_000;

export interface AppOptions {
  config: Config;
  log?: Logger;
  clock?: () => Date;
  /** Polling's fetcher. Defaults to the polite undici fetcher built from the config. */
  fetcher?: Fetcher;
  /**
   * The fetcher for what members trigger (/feed add, import, retry). Defaults to a second fetcher with its own small
   * budget (MEMBER_FETCH_CONCURRENCY); when only `fetcher` is given, that one is used for both.
   */
  memberFetcher?: Fetcher;
  /** Extra options for the fetchers Herald builds itself (tests: a DNS stand-in, which addresses are blocked). */
  fetcherOptions?: Partial<FetcherOptions>;
  /** First retry delay after a failed alert send (ms). */
  alertRetryMs?: number;
  /** Debounce of rating edits (ms). */
  ratingRefreshMs?: number;
  /** Worker threads that parse feeds, pages and OPML (default: 1 on 2 cores, else 2). */
  parseThreads?: number;
  /** Run the node-cron poll tick (default true; tests drive polling with pollNow). */
  schedulePolling?: boolean;
  /** Store options beyond STORE_URL (tests: a key prefix so runs sharing a server stay apart). */
  storeOptions?: StoreOptions;
}

/** Fetches members trigger (/feed add, import, retry) that run at once, across all guilds; polling has its own 32. */
export const MEMBER_FETCH_CONCURRENCY = 8;

export interface App {
  client: Client;
  services: Services;
  commands: Map<string, Command>;
  /** One poll cycle, and the sends it queued. */
  pollNow(): Promise<CycleReport>;
  stop(): Promise<void>;
}

/** Builds everything, logs in, registers commands, resumes the outbox and starts polling. */
export async function startApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const store = await openStore(config.storeUrl, options.storeOptions);
  const fetcherOptions: FetcherOptions = { userAgent: config.userAgent, maxBytes: config.limits.feedBytes, allowPrivateAddresses: config.allowPrivateAddresses, ...options.fetcherOptions };
  // Two budgets: slow or hostile URLs members add can fill only theirs, never the slots polling needs.
  const fetcher = options.fetcher ?? createFetcher(fetcherOptions);
  const memberFetcher =
    options.memberFetcher ?? (options.fetcher ? options.fetcher : createFetcher({ ...fetcherOptions, maxConcurrent: MEMBER_FETCH_CONCURRENCY, maxPerHost: 2 }));
  // Untrusted documents are parsed in worker threads with time and memory limits (parse/pool.ts).
  const parsePool = new ParsePool({ threads: options.parseThreads, maxBytes: config.limits.feedBytes, log });
  const parsers: Parsers = parsePool;
  const client = createDiscordClient(config.discordApiUrl);

  const feeds = new FeedService({ store, fetcher: memberFetcher, log, clock, defaultFeeds: config.defaultFeeds, maxFeedsPerGuild: config.limits.feedsPerGuild, parsers });
  const subscriptions = new SubscriptionService({ store, log, clock, maxPerGuild: config.limits.subscriptionsPerGuild, maxRegexPerGuild: config.limits.regexPerGuild });
  const alerts = new AlertService({ store, subscriptions, feeds, rest: client.rest, log, clock, retryDelayMs: options.alertRetryMs });
  const ratings = new RatingService({ store, rest: client.rest, log, botUserId: () => client.user?.id ?? null, refreshDelayMs: options.ratingRefreshMs });
  // Each cron tick polls what is due; a feed's base interval (and the start of its backoff) is the cron's period.
  const intervalMs = cronPeriodMs(config.pollCron);
  const poller = new Poller({
    store,
    fetcher,
    log,
    clock,
    intervalMs,
    parse: parsers.parse,
    retryFetcher: memberFetcher,
    feedUrls: () => feeds.allFeedUrls(),
    onNewItems: (feed, items) => alerts.handleNewItems(feed, items),
    onDisabled: async (feed) => {
      await sendFeedDisabledNotices({ rest: client.rest, feeds, subscriptions, guildIds: () => client.guilds.cache.keys(), log }, feed);
    },
  });
  const services: Services = { config, log, clock, store, fetcher, parsers, feeds, subscriptions, alerts, ratings, poller };
  const commands = new Map(allCommands.map((c) => [c.data.name, c]));

  await Promise.all([feeds.load(), subscriptions.load()]);

  client.on(Events.InteractionCreate, (interaction) => void handleInteraction(interaction, commands, services));
  const onReaction = (kind: 'add' | 'remove') => (reaction: { message: { id: string; channelId: string }; emoji: { name: string | null } }, user: { id: string }) =>
    void ratings
      .onReaction({ kind, messageId: reaction.message.id, channelId: reaction.message.channelId, userId: user.id, emoji: reaction.emoji.name })
      .catch((error: unknown) => log.error({ event: 'rating.failed', channel: reaction.message.channelId, message: reaction.message.id, error: String(error) }, 'vote not recorded'));
  client.on(Events.MessageReactionAdd, onReaction('add'));
  client.on(Events.MessageReactionRemove, onReaction('remove'));
  client.on(Events.ChannelDelete, (channel) => void subscriptions.removeChannel(channel.id).catch(() => undefined));
  client.on(Events.Error, (error) => log.error({ event: 'discord.error', error: error.message }, 'discord client error'));
  client.rest.on('rateLimited', (info) => log.warn({ event: 'discord.rate_limited', route: info.route, retryAfterMs: info.retryAfter, global: info.global }, 'rate limited by Discord; waiting'));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await client.login(config.discordToken);
  } catch (error) {
    await Promise.allSettled([client.destroy(), store.close(), fetcher.close(), memberFetcher.close(), parsePool.close()]);
    throw error;
  }
  await ready;
  const applicationId = client.application!.id;
  const body = [...commands.values()].map((c) => c.data.toJSON());
  await client.rest.put(config.guildId ? Routes.applicationGuildCommands(applicationId, config.guildId) : Routes.applicationCommands(applicationId), { body });
  log.info({ event: 'start', user: client.user?.tag, guilds: client.guilds.cache.size, commands: body.length, scope: config.guildId ? `guild ${config.guildId}` : 'global', store: store.describe }, 'Herald is running');

  const resumed = await alerts.drainOutbox();
  if (resumed) log.info({ event: 'outbox.resumed', count: resumed }, 'sent alerts left from the last run');

  // A sweep in flight is awaited by stop(), so it never runs against a closed store.
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () =>
    (sweeping = store.sweepExpired().then(
      (removed) => removed && log.info({ event: 'store.swept', removed }, 'expired entries deleted'),
      (error: unknown) => log.warn({ event: 'store.sweep_failed', error: String(error) }, 'could not delete expired entries; trying again later'),
    ));
  void sweep();
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweeper.unref();

  // pollNow fetches every due feed at once; a cron tick spreads them over most of the period (stable offset per URL).
  const poll = async (spreadMs: number) => {
    const report = await poller.runCycle({ spreadMs });
    await alerts.idle();
    return report;
  };
  const pollNow = () => poll(0);
  let task: ScheduledTask | null = null;
  if (options.schedulePolling !== false) {
    task = schedule(config.pollCron, () => poll(intervalMs * SPREAD_SHARE).catch((error: unknown) => log.error({ event: 'poll.failed', error: String(error) }, 'poll cycle failed')), {
      name: 'poll',
      noOverlap: true,
    });
    void pollNow();
  }

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await task?.destroy();
      clearInterval(sweeper);
      await sweeping;
      poller.stop();
      // Finish what is in flight: the poll cycle, imports' fetches under way, the sends queued, the rating edits.
      await Promise.all([poller.runCycleInFlight(), feeds.close()]);
      alerts.close();
      await alerts.idle();
      await ratings.flush();
      await client.destroy();
      await Promise.allSettled([store.close(), fetcher.close(), memberFetcher.close(), parsePool.close()]);
      log.info({ event: 'stop' }, 'Herald stopped');
    })());
  return { client, services, commands, pollNow, stop };
}
