import { resolve } from 'node:path';
import { Events, Routes, type Client } from 'discord.js';
import { Redis } from 'ioredis';
import { schedule, type ScheduledTask } from 'node-cron';
import { commands as allCommands } from '../commands/index.js';
import { AlertService } from './alerts/alert-service.js';
import { SUMMARY_MAX_CHARS } from './alerts/summary.js';
import { GuildActivity } from './alerts/guild-activity.js';
import { sendChannelPausedNotice, sendFeedDisabledNotices } from './alerts/notices.js';
import type { Config } from './config/config.js';
import { missingForAlerts, noticeChannelFor } from './discord/alert-channel.js';
import { missingForAlertsIn, pickNoticeChannel, readServerFacts } from './discord/rest-notice-channel.js';
import { createDiscordClient } from './discord/client.js';
import type { Command } from './discord/command.js';
import { registerEvents } from './discord/events/index.js';
import { inviteLink } from './discord/invite.js';
import { registerCommands } from './discord/register-commands.js';
import { createArticleSummaries } from './feeds/article/article-summaries.js';
import { FeedService } from './feeds/follow/feed-service.js';
import { createFetcher, type Fetcher, type FetcherOptions } from './feeds/fetch/fetcher.js';
import { ParsePool, type Parsers } from './feeds/parse/pool.js';
import { Poller, type CycleReport } from './feeds/poll/poller.js';
import { cronPeriodMs, SPREAD_SHARE } from './feeds/poll/scheduler.js';
import { silentLogger, type Logger } from './log.js';
import { metrics, setOutboxDepthSource } from './metrics.js';
import { heraldHealth, startMetricsServer, type MetricsServer } from './metrics-server.js';
import { SubscriptionService } from './match/subscription-service.js';
import { KeyedLock, StoreConfigError } from './store/store.js';
import { RatingService } from './ratings/rating-service.js';
import type { Services } from './services.js';
import type { FeedItem } from './feeds/types.js';
import type { FeedRecord } from './feeds/records.js';
import { openStore, type Store, type StoreOptions } from './repositories.js';
import { DeliveryJobs, requestsPerAlert } from './jobs/delivery-jobs.js';
import { PollJobs } from './jobs/poll-jobs.js';
import { lockPostgresStore } from './store/postgres-lock.js';
import { lockStoreFile, type ProcessLock } from './store/process-lock.js';
import { rosterConflict, type ProcessRole } from './store/process-roster.js';
import { RedisCoordination, redisOptions } from './store/redis-coordination.js';

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
  /** The slash commands (default: every command in commands/; tests: a changed definition). */
  commands?: Command[];
  /** Store options beyond STORE_URL (tests: a key prefix so runs sharing a server stay apart). */
  storeOptions?: StoreOptions;
}

/** How long a new-item claim holds (several workers): long past any poll, short enough that a lost one heals. */
const ITEM_CLAIM_MS = 30 * 60_000;
/** Workers queue what the outbox holds this often, for alerts whose job was lost (Redis restarted, all retries spent). */
const OUTBOX_REQUEUE_MS = 10 * 60_000;

/** Counting the outbox for /metrics stops here: beyond it the number only says "a lot". */
const OUTBOX_DEPTH_CAP = 100_000;

async function countEntries(entries: AsyncIterable<unknown>, cap: number): Promise<number> {
  let n = 0;
  for await (const _ of entries) if (++n >= cap) break;
  return n;
}

/** Fetches members trigger (/feed add, import, retry) that run at once, across all guilds; polling has its own 32. */
export const MEMBER_FETCH_CONCURRENCY = 8;

export interface App {
  client: Client;
  services: Services;
  /** The store the services run on: for tests and the process that owns it, never handed to commands. */
  store: Store;
  commands: Map<string, Command>;
  /** The port /metrics and /healthz listen on, when METRICS_PORT is set. */
  metricsPort: number | null;
  /** What this process does (HERALD_ROLE). */
  role: Config['role'];
  /** One poll cycle, and the sends it queued (a worker: every worker's jobs of that cycle). */
  pollNow(): Promise<CycleReport>;
  stop(): Promise<void>;
}

/** Enters this process in the Redis roster; refuses (StoreConfigError) when its role clashes with one running. */
async function joinRosterOrRefuse(coordination: RedisCoordination, role: ProcessRole, prefix: string | undefined, store: Store): Promise<() => Promise<void>> {
  const refuse = async (error: unknown) => {
    await Promise.allSettled([coordination.close(), store.close()]);
    throw error;
  };
  // in first, then look: two started at once see each other (and both refuse) rather than neither
  const leave = await coordination.joinRoster(role).catch(refuse);
  const others = await coordination.roster().catch(refuse);
  const conflict = rosterConflict(role, others, `this Redis (STORE_URL${prefix ? `, STORE_PREFIX=${prefix}` : ''})`);
  if (conflict) {
    await leave();
    await refuse(new StoreConfigError(conflict));
  }
  return leave;
}

/** Builds everything, logs in, registers commands, resumes the outbox and starts polling. */
export async function startApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const { role } = config;
  // SQLite belongs to one process: a second Herald on the same file is refused before it opens anything.
  let fileLock: ProcessLock | null = null;
  const sqliteFile = /^sqlite:\/\/(.+)$/i.exec(config.storeUrl)?.[1];
  if (sqliteFile && sqliteFile !== ':memory:') fileLock = lockStoreFile(resolve(sqliteFile));
  // So does PostgreSQL: the first Herald holds an advisory lock on a connection of its own.
  const prefix = options.storeOptions?.prefix;
  const databaseLock = /^postgres(ql)?:\/\//i.test(config.storeUrl)
    ? await lockPostgresStore(config.storeUrl, {
        prefix,
        onLost: (error) => log.warn({ event: 'store.lock_lost', error }, 'lost the PostgreSQL connection holding the one-process lock; taking it again'),
        onRetaken: (taken) =>
          taken
            ? log.info({ event: 'store.lock_retaken' }, 'the one-process lock of the PostgreSQL store is held again')
            : log.error({ event: 'store.lock_taken_by_other' }, 'another Herald took the PostgreSQL store while its lock connection was down; stop one of them'),
      })
    : null;
  let store: Store;
  try {
    store = await openStore(config.storeUrl, options.storeOptions);
  } catch (error) {
    fileLock?.release();
    await databaseLock?.release();
    throw error;
  }
  // Gateways and workers share their work through Redis: change notices, votes, item claims, job queues.
  const onRedis = /^rediss?:\/\//i.test(config.storeUrl);
  const coordination = onRedis ? await RedisCoordination.open(config.storeUrl, { prefix }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  }) : null;
  // On Redis every process keeps an entry in a roster: an `all` process beside gateways and workers (or a second one)
  // would poll and send on its own, so a clash of roles is refused here, saying what to change.
  const leaveRoster = coordination ? await joinRosterOrRefuse(coordination, role, prefix, store) : null;
  const redis = role === 'all' ? null : coordination;
  const connect = () => new Redis(config.storeUrl, redisOptions({ maxRetriesPerRequest: null, lazyConnect: false }));
  const deliveryJobs = redis ? new DeliveryJobs({ connect, prefix, coordination: redis, outbox: store.outbox, log }) : null;
  const fetcherOptions: FetcherOptions = { userAgent: config.userAgent, maxBytes: config.limits.feedBytes, allowPrivateAddresses: config.allowPrivateAddresses, ...options.fetcherOptions };
  // Two budgets: slow or hostile URLs members add can fill only theirs, never the slots polling needs.
  const fetcher = options.fetcher ?? createFetcher(fetcherOptions);
  const memberFetcher =
    options.memberFetcher ?? (options.fetcher ? options.fetcher : createFetcher({ ...fetcherOptions, maxConcurrent: MEMBER_FETCH_CONCURRENCY, maxPerHost: 2 }));
  // Untrusted documents are parsed in worker threads with time and memory limits (parse-pool.ts).
  const parsePool = new ParsePool({ threads: options.parseThreads, maxBytes: config.limits.feedBytes, log });
  const parsers: Parsers = parsePool;
  // Gateway processes on one Redis take turns to IDENTIFY, as Discord allows one per 5 s for the whole bot.
  const identifyThrottler =
    redis && role === 'gateway'
      ? (maxConcurrency: number) =>
          redis.identifyThrottler(maxConcurrency, {
            onWait: (shard, waitMs) => log.info({ event: 'gateway.identify_wait', shard, waitMs }, 'another Herald gateway just identified with Discord; this shard waits its turn'),
          })
      : undefined;
  const client = createDiscordClient(config.discordApiUrl, role === 'worker' ? null : config.sharding, { identifyThrottler });
  // A worker has no gateway connection: it only sends, through the same REST client, with the token set by hand.
  if (role === 'worker') client.rest.setToken(config.discordToken);
  const changes = redis ?? undefined;

  const feeds = new FeedService({ store, fetcher: memberFetcher, log, clock, defaultFeeds: config.defaultFeeds, maxFeedsPerGuild: config.limits.feedsPerGuild, parsers, changes });
  const subscriptions = new SubscriptionService({ store, log, clock, maxPerGuild: config.limits.subscriptionsPerGuild, maxRegexPerGuild: config.limits.regexPerGuild, changes });
  // A matched item without a summary gets its article's lead: a third fetcher with its own small budget (FETCH_ARTICLES).
  const articles = createArticleSummaries({ enabled: config.fetchArticles, fetcherOptions, extract: parsePool.article, cache: store.articles, clock, log, maxChars: SUMMARY_MAX_CHARS });
  const enrichItem = (item: FeedItem, feed: FeedRecord) => articles.summaries.enrich(item, { feed: feed.url });
  // Votes and "Also reported by" both edit alert messages: one lock per message keeps either from undoing the other.
  // With several processes, rating edits in gateways re-render when a message's version moves (sharedVotes), and the
  // workers' same-story decisions and "Also reported by" edits hold locks in Redis.
  const messageLock = new KeyedLock();
  const onLost = (what: string) => (key: string) =>
    log.warn({ event: 'lock.lost', lock: what, key }, 'a lock held in Redis expired while in use (Redis was unreachable); another process may have run beside it');
  const sameStoryLocks = redis
    ? { messageLock: redis.sectionLock('message', { onLost: onLost('message') }), channelLock: redis.sectionLock('channel', { onLost: onLost('channel') }) }
    : { messageLock };
  const duplicateWindowMs = config.duplicateWindowHours * 60 * 60_000;
  const activity = new GuildActivity({ store, clock, log, ...(redis ? { lock: redis.sectionLock('activity', { onLost: onLost('activity') }) } : {}) });
  // A send refused for a missing permission pauses the channel; the server hears of it once, where Herald can post.
  const guild = (id: string) => client.guilds.cache.get(id);
  // A gateway knows its user from READY; a worker asks Discord once.
  let botUser: Promise<string> | null = null;
  const botUserId = async (): Promise<string> => {
    if (client.user) return client.user.id;
    botUser ??= (client.rest.get(Routes.user('@me')) as Promise<{ id: string }>).then((me) => me.id);
    return botUser.catch((error: unknown) => {
      botUser = null;
      throw error;
    });
  };
  const alerts = new AlertService({
    store,
    subscriptions,
    feeds,
    rest: client.rest,
    log,
    clock,
    retryDelayMs: options.alertRetryMs,
    enrichItem,
    duplicateWindowMs,
    ...sameStoryLocks,
    activity,
    ratingReactions: config.ratingReactions,
    ...(redis ? { sharedVotes: redis } : {}),
    ...(deliveryJobs ? { sender: deliveryJobs } : {}),
    missingPermissions: (guildId, channelId) => missingForAlerts(guild(guildId), channelId),
    onChannelPaused: async (pause) => {
      const cached = guild(pause.guildId);
      if (cached) await sendChannelPausedNotice({ rest: client.rest, log, noticeChannel: (guildId, except) => noticeChannelFor(guild(guildId), except) }, pause);
      else {
        // a worker has no cache: it reads the server from Discord (a failure is logged as notice.failed)
        const server = await readServerFacts(client.rest, pause.guildId, await botUserId());
        const missing = pause.missing.length ? pause.missing : missingForAlertsIn(server, pause.channelId);
        await sendChannelPausedNotice({ rest: client.rest, log, noticeChannel: (_, except) => pickNoticeChannel(server, except) }, { ...pause, missing });
      }
    },
  });
  const ratings = new RatingService({
    store,
    rest: client.rest,
    log,
    botUserId: () => client.user?.id ?? null,
    refreshDelayMs: options.ratingRefreshMs,
    messageLock,
    ...(redis ? { sharedVotes: redis } : {}),
  });
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
      const guildIds = role === 'worker' ? () => subscriptions.guildIds() : () => client.guilds.cache.keys();
      await sendFeedDisabledNotices({ rest: client.rest, feeds, subscriptions, guildIds, log }, feed);
    },
    ...(redis ? { claimNewItems: (url: string, ids: string[], token: string) => redis.claimNewItems(url, ids, token, ITEM_CLAIM_MS) } : {}),
  });
  const pollJobs = redis && role === 'worker' ? new PollJobs({ connect, prefix, poller, feedUrls: () => feeds.allFeedUrls(), intervalMs, log, clock }) : null;
  const services: Services = { config, log, clock, fetcher, parsers, feeds, subscriptions, alerts, activity, ratings, poller };
  const commands = new Map((options.commands ?? allCommands).map((c) => [c.data.name, c]));

  await Promise.all([feeds.load(), subscriptions.load()]);
  if (redis) {
    // What another process changes reaches this one's memory within a moment; after a lost link, everything is read again.
    await redis.listen(
      (change) => {
        const applied =
          change.kind === 'subscription' ? subscriptions.reloadSubscription(change.id) : change.kind === 'pause' ? subscriptions.reloadPause(change.id) : feeds.reloadGuild(change.id);
        applied.catch((error: unknown) => log.warn({ event: 'sync.failed', ...change, error: String(error) }, 'could not apply a change from another process; it is read again at the next resync'));
      },
      () => {
        log.info({ event: 'sync.resync' }, 'change notices were interrupted: reading subscriptions and follows again');
        void Promise.all([feeds.load(), subscriptions.load()]).catch((error: unknown) => log.warn({ event: 'sync.failed', error: String(error) }, 'could not read subscriptions and follows again'));
      },
    );
  }

  // One file per gateway event (src/discord/events/).
  registerEvents(client, { services, commands });
  client.rest.on('rateLimited', (info) => log.warn({ event: 'discord.rate_limited', route: info.route, retryAfterMs: info.retryAfter, global: info.global }, 'rate limited by Discord; waiting'));

  // Served from before login, so a supervisor's probe gets an answer (503, not connected) while Herald starts.
  let metricsServer: MetricsServer | null = null;
  if (config.metrics) {
    setOutboxDepthSource(() => countEntries(store.outbox.entries(), OUTBOX_DEPTH_CAP));
    metricsServer = await startMetricsServer({ ...config.metrics, metrics, log, health: () => heraldHealth(role === 'worker' ? null : client, store.meta) });
  }

  // What stopping and a failed start both release last: the store, its locks, connections, pools and servers.
  const releaseResources = async () => {
    await leaveRoster?.();
    await Promise.allSettled([store.close(), coordination?.close(), fetcher.close(), memberFetcher.close(), articles.close(), parsePool.close(), metricsServer?.close()]);
    fileLock?.release();
    await databaseLock?.release();
  };
  const closeEverything = async () => {
    await Promise.allSettled([client.destroy(), pollJobs?.close(), deliveryJobs?.closeAll()]);
    await releaseResources();
  };
  if (role !== 'worker') {
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    try {
      await client.login(config.discordToken);
    } catch (error) {
      await closeEverything();
      throw error;
    }
    await ready;
    const applicationId = client.application!.id;
    const bodies = [...commands.values()].map((c) => c.data.toJSON());
    // One process registers the commands: the gateway that runs shard 0 (or the only one).
    const shards = config.sharding?.shards;
    const registers = !Array.isArray(shards) || shards.includes(0);
    if (registers) await registerCommands({ rest: client.rest, meta: store.meta, log, applicationId, guildId: config.guildId ?? null, apiUrl: config.discordApiUrl, bodies });
    log.info(
      { event: 'start', role, shards: shards ?? [0], user: client.user?.tag, guilds: client.guilds.cache.size, commands: registers ? bodies.length : 0, scope: config.guildId ? `guild ${config.guildId}` : 'global', store: store.describe },
      'Herald is running',
    );
    if (client.guilds.cache.size === 0 && registers) {
      log.warn({ event: 'start.no_guilds', invite: inviteLink(applicationId) }, `Herald is in no server yet: open ${inviteLink(applicationId)} to add it to one`);
    }
  } else {
    const perAlert = requestsPerAlert(config.ratingReactions);
    const alertsPerSecond = Math.max(1, Math.floor(config.discordRequestsPerSecond / perAlert));
    deliveryJobs!.startWorker({ deliver: (entry) => alerts.deliverEntry(entry), alertsPerSecond, concurrency: Math.min(16, config.workerConcurrency), lockMs: config.jobLockMs, retryDelayMs: options.alertRetryMs });
    pollJobs!.startWorker({ concurrency: config.workerConcurrency, lockMs: config.jobLockMs });
    log.info({ event: 'start', role, alertsPerSecond, requestsPerAlert: perAlert, concurrency: config.workerConcurrency, store: store.describe }, 'Herald worker is running');
  }

  // What the last run left in the outbox is sent alongside polling, not before it: a backlog (or one channel waiting
  // out a long 429) must not hold up every server's feeds. A gateway sends nothing: workers do.
  const drainOutbox = () => (role === 'gateway' ? Promise.resolve(0) : alerts.drainOutbox());
  const drained = drainOutbox().then(
    (resumed) => {
      if (resumed) log.info({ event: 'outbox.resumed', count: resumed }, 'sent alerts left from the last run');
    },
    (error: unknown) => log.error({ event: 'outbox.resume_failed', error: String(error) }, 'could not read the outbox; its alerts are sent at the next start'),
  );

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
  // Workers queue the outbox again now and then: an alert whose job was lost is sent (its job id dedupes the rest).
  const requeuer =
    role === 'worker'
      ? setInterval(
          () => void alerts.drainOutbox().catch((error: unknown) => log.warn({ event: 'outbox.requeue_failed', error: String(error) }, 'could not queue the outbox again')),
          OUTBOX_REQUEUE_MS,
        )
      : null;
  requeuer?.unref();

  // A cron tick spreads its fetches over most of the period (stable offset per URL) and does not wait for the sends
  // it queued: delivery runs at Discord's pace, polling at the feeds'. pollNow (tests) fetches every due feed at
  // once and resolves when the outbox drain and the sends it queued are done.
  const tick = pollJobs ? () => pollJobs.requestPlan({ spreadMs: intervalMs * SPREAD_SHARE }) : () => poller.runCycle({ spreadMs: intervalMs * SPREAD_SHARE });
  let manualCycles = 0;
  const pollNow = async (): Promise<CycleReport> => {
    await drained;
    if (pollJobs && deliveryJobs) {
      // every worker's jobs of one cycle of its own (a test's or the bench's), then the sends they queued
      const feedCount = await pollJobs.plan({ spreadMs: 0, slot: `now${process.pid}x${++manualCycles}` });
      await pollJobs.drained();
      await deliveryJobs.drained();
      return { feeds: feedCount, outcomes: { 'new-items': 0, unchanged: 0, 'not-modified': 0, 'first-fetch': 0, failed: 0, disabled: 0, skipped: 0 }, newItems: 0 };
    }
    const report = await poller.runCycle({ spreadMs: 0 });
    await alerts.idle();
    return report;
  };
  let task: ScheduledTask | null = null;
  if (options.schedulePolling !== false && role !== 'gateway') {
    task = schedule(config.pollCron, () => tick().catch((error: unknown) => log.error({ event: 'poll.failed', error: String(error) }, 'poll cycle failed')), {
      name: 'poll',
      noOverlap: true,
    });
    // One process polls at once at start; workers wait for the first tick (jobs of the current cycle may be running).
    if (!pollJobs) void poller.runCycle({ spreadMs: 0 }).catch((error: unknown) => log.error({ event: 'poll.failed', error: String(error) }, 'poll cycle failed'));
  }

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await task?.destroy();
      clearInterval(sweeper);
      if (requeuer) clearInterval(requeuer);
      await sweeping;
      poller.stop();
      // Finish what is in flight: the poll cycle, imports' fetches under way, the sends queued, the rating edits.
      await Promise.all([poller.runCycleInFlight(), feeds.close(), drained]);
      alerts.close();
      await alerts.idle();
      await ratings.flush();
      // a worker's jobs under way finish (BullMQ's close waits for them); jobs not started stay queued for the others
      await Promise.allSettled([pollJobs?.close(), deliveryJobs?.closeAll()]);
      await client.destroy();
      await releaseResources();
      if (metricsServer) setOutboxDepthSource(null);
      log.info({ event: 'stop' }, 'Herald stopped');
    })());
  return { client, services, store, commands, role, metricsPort: metricsServer?.port ?? null, pollNow, stop };
}
