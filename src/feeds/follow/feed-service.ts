import type { ChangeBus } from '../../store/changes.js';
import { UserFacingError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { FeedRecord, FeedStore, GuildFeedsRecord } from '../records.js';
import { KeyedLock } from '../../store/store.js';
import { canonicalLink } from '../url/canonical-link.js';
import { isHttpUrl, looseUrlKey } from '../url/http-url.js';
import { blankFeedRecord } from '../feed-record.js';
import { FetchError } from '../fetch/fetch-error.js';
import type { Fetcher } from '../fetch/fetcher.js';
import { commitIngested, ingest } from '../ingest.js';
import { inThreadParsers, type Parsers } from '../parse/pool.js';
import { recentItemsOf, type RecentEntry } from '../poll/recent.js';
import { findNewItems } from '../poll/seen.js';
import type { ParsedFeed } from '../types.js';

export type FeedProblemCode = 'bad-url' | 'fetch' | 'parse' | 'limit' | 'not-followed' | 'several-feeds' | 'busy';

/** Why a feed can't be added or read, in words for the user who asked. */
export class FeedProblem extends UserFacingError {
  override name = 'FeedProblem';
  constructor(
    readonly code: FeedProblemCode,
    message: string,
    /** Feeds found on an HTML page when there were several to choose from. */
    readonly candidates: Array<{ url: string; title: string | null }> = [],
  ) {
    super(message);
  }
}

export interface InspectedFeed {
  /** The URL to follow: the feed's own, after redirects or discovery from a page. */
  url: string;
  feed: ParsedFeed;
  etag: string | null;
  lastModified: string | null;
}

export interface FeedServiceDeps {
  store: FeedStore;
  /**
   * The fetcher for what members trigger (/feed add, import, discovery): its own small budget, separate from
   * polling's, so slow or hostile URLs a member adds can never hold up the poll cycle.
   */
  fetcher: Fetcher;
  log: Logger;
  clock: () => Date;
  defaultFeeds: string[];
  maxFeedsPerGuild: number;
  /** Where feed bodies and pages are parsed: the worker pool in the app. Default: in this thread. */
  parsers?: Parsers;
  /** Tells other Herald processes (they hold the same follows in memory) that a guild's follows changed. */
  changes?: ChangeBus;
}

/** Normalises a URL a user typed: http(s) only, absolute, fragment dropped. */
export function normaliseFeedUrl(raw: string): string {
  const text = raw.trim().replace(/^<(.*)>$/, '$1');
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`);
  } catch {
    throw new FeedProblem('bad-url', `"${raw.slice(0, 100)}" is not a URL. Give the feed's full address, e.g. https://example.com/rss.xml`);
  }
  if (!isHttpUrl(url)) {
    throw new FeedProblem('bad-url', `Only http:// and https:// feeds can be followed (got ${url.protocol.replace(':', '')}://).`);
  }
  url.hash = '';
  return url.href;
}

function newFeedRecord(url: string, feed: ParsedFeed, now: Date, validators: { etag: string | null; lastModified: string | null }): FeedRecord {
  return {
    ...blankFeedRecord(url, feed.title, canonicalLink(feed.siteUrl), now),
    etag: validators.etag,
    lastModified: validators.lastModified,
    lastPolledAt: now.toISOString(),
    lastSuccessAt: now.toISOString(),
  };
}

/** How an OPML import went. */
export interface ImportSummary {
  added: number;
  already: number;
  failed: Array<{ url: string; reason: string }>;
  /** New feeds not tried because the guild had no free feed slot for them. */
  overLimit: number;
  /** Feeds not tried because the import was stopped (Herald shutting down, or the import's time ran out). */
  stopped: number;
}

export interface ImportPlan {
  /** Feeds to fetch and follow: new to the guild, at most its free feed slots. */
  toTry: string[];
  already: number;
  invalid: Array<{ url: string; reason: string }>;
  overLimit: number;
}

/** Feeds one import fetches at once (they share the member fetch budget with every other guild). */
const IMPORT_CONCURRENCY = 2;
/** An import stops starting new fetches after this long (Discord lets a deferred reply be edited for 15 minutes). */
const IMPORT_DEADLINE_MS = 12 * 60_000;

/** Which guild follows which feed, and adding/removing feeds. Keeps an in-memory view of the guildfeeds namespace. */
export class FeedService {
  private readonly guilds = new Map<string, GuildFeedsRecord>();
  private readonly lock = new KeyedLock();
  /** Guilds with an import running (one at a time per guild) and the imports themselves, for a clean stop. */
  private readonly importing = new Set<string>();
  private readonly imports = new Set<Promise<unknown>>();
  private readonly stopper = new AbortController();

  constructor(private readonly deps: FeedServiceDeps) {}

  /** Another process changed what a guild follows: read its record again. */
  async reloadGuild(guildId: string): Promise<void> {
    await this.lock.run(guildId, async () => {
      const stored = await this.deps.store.guildFeeds.get(guildId);
      if (stored) this.guilds.set(guildId, stored);
      else this.guilds.delete(guildId);
    });
  }

  private async announce(guildId: string): Promise<void> {
    try {
      await this.deps.changes?.publish({ kind: 'guildfeeds', id: guildId });
    } catch (error) {
      this.deps.log.warn({ event: 'feeds.announce_failed', guild: guildId, error: error instanceof Error ? error.message : String(error) }, 'could not tell the other Herald processes about a change');
    }
  }

  async load(): Promise<void> {
    this.guilds.clear();
    for await (const [guildId, record] of this.deps.store.guildFeeds.entries()) this.guilds.set(guildId, record);
  }

  /** The feeds a guild follows: the configured defaults it has not dropped, plus its own. */
  followedBy(guildId: string): string[] {
    const record = this.guilds.get(guildId);
    const dropped = new Set(record?.droppedDefaults ?? []);
    const urls = this.deps.defaultFeeds.filter((u) => !dropped.has(u));
    for (const url of record?.follows ?? []) if (!urls.includes(url)) urls.push(url);
    return urls;
  }

  isFollowedBy(guildId: string, url: string): boolean {
    return this.followedBy(guildId).includes(url);
  }

  /** Every feed some guild follows (defaults always: any guild may follow them), each once. */
  /** Whether some guild follows the feed (or it is a default), so the poller keeps its seen-set current. */
  private isPolled(url: string): boolean {
    if (this.deps.defaultFeeds.includes(url)) return true;
    for (const record of this.guilds.values()) if (record.follows.includes(url)) return true;
    return false;
  }

  allFeedUrls(): string[] {
    const urls = new Set(this.deps.defaultFeeds);
    for (const record of this.guilds.values()) for (const url of record.follows) urls.add(url);
    return [...urls];
  }

  /** Fetches and parses a URL the way polling does (the same ingest); an HTML page is searched for its feed links. */
  async inspect(rawUrl: string, depth = 0): Promise<InspectedFeed> {
    const url = normaliseFeedUrl(rawUrl);
    const parsers = this.deps.parsers ?? inThreadParsers;
    let ingested;
    try {
      ingested = await ingest(this.deps.fetcher, (body, opts) => parsers.parse(body, opts), { url });
    } catch (error) {
      if (error instanceof FetchError) throw new FeedProblem('fetch', `Couldn't fetch ${url}: ${error.message}`);
      throw error;
    }
    if (ingested.kind === 'not-modified' || ingested.kind === 'same-body') throw new FeedProblem('fetch', `Couldn't fetch ${url}: the server sent no content.`);
    const { fetched } = ingested;
    if (ingested.kind === 'parsed') return { url: fetched.finalUrl, feed: ingested.feed, etag: fetched.etag, lastModified: fetched.lastModified };

    if (ingested.error.code === 'html-page' && depth === 0) {
      const discovered = await parsers.discover(fetched.body, fetched.finalUrl);
      if (!discovered.ok) throw new FeedProblem('parse', `${url} is a web page Herald couldn't search for feeds: ${discovered.error.message}.`);
      const found = discovered.feeds;
      if (found.length === 1) return this.inspect(found[0]!.url, 1);
      if (found.length > 1) {
        throw new FeedProblem('several-feeds', `That page offers ${found.length} feeds; add the one you want by its URL.`, found);
      }
      throw new FeedProblem('parse', `${url} is a web page, not a feed, and it links to no RSS, Atom or JSON feed. Look for an RSS link on the site.`);
    }
    throw new FeedProblem('parse', `${url} isn't a feed Herald can read: ${ingested.error.message}`);
  }

  /**
   * The guild follows a feed. A feed new to Herald is fetched now and all its current items are marked seen, so
   * following never floods a channel with old stories.
   */
  async follow(guildId: string, rawUrl: string): Promise<{ feed: FeedRecord; itemCount: number; alreadyFollowed: boolean }> {
    const requested = normaliseFeedUrl(rawUrl);
    const known = await this.deps.store.feeds.get(requested);
    if (known && this.isFollowedBy(guildId, requested)) return { feed: known, itemCount: 0, alreadyFollowed: true };
    if (this.followedBy(guildId).length >= this.deps.maxFeedsPerGuild) {
      throw new FeedProblem('limit', `This server already follows ${this.deps.maxFeedsPerGuild} feeds, the limit. Remove one with /feed remove first.`);
    }

    // A feed someone polls has a current seen-set. One nobody polls (new, or left by its last follower) is fetched,
    // and what it holds now is marked seen: else the stories it published meanwhile would all post as new.
    let feed = known && this.isPolled(known.url) ? known : undefined;
    let itemCount = 0;
    if (!feed) {
      const inspected = await this.inspect(requested);
      feed = await this.deps.store.feeds.get(inspected.url);
      if (feed && this.isFollowedBy(guildId, feed.url)) return { feed, itemCount: 0, alreadyFollowed: true };
      if (!feed || !this.isPolled(feed.url)) {
        const now = this.deps.clock();
        feed = newFeedRecord(inspected.url, inspected.feed, now, inspected);
        const seen = await this.deps.store.seen.get(feed.url);
        const next = findNewItems(seen, inspected.feed.items, inspected.feed.siteUrl).next;
        await commitIngested(this.deps.store, feed.url, inspected.feed, next, feed, now);
      }
      itemCount = inspected.feed.items.length;
    }

    const url = feed.url;
    await this.lock.run(guildId, async () => {
      // Checked again here: follows running side by side (an import, a /feed add) must not pass the limit together.
      if (!this.isFollowedBy(guildId, url) && this.followedBy(guildId).length >= this.deps.maxFeedsPerGuild) {
        throw new FeedProblem('limit', `This server already follows ${this.deps.maxFeedsPerGuild} feeds, the limit. Remove one with /feed remove first.`);
      }
      const record = this.guilds.get(guildId) ?? { follows: [], droppedDefaults: [] };
      const next: GuildFeedsRecord = {
        follows: this.deps.defaultFeeds.includes(url) ? record.follows : [...new Set([...record.follows, url])],
        droppedDefaults: record.droppedDefaults.filter((u) => u !== url),
      };
      await this.deps.store.guildFeeds.set(guildId, next);
      this.guilds.set(guildId, next);
    });
    await this.announce(guildId);
    this.deps.log.info({ event: 'feed.follow', guild: guildId, feed: url }, 'guild follows feed');
    return { feed, itemCount, alreadyFollowed: false };
  }

  /**
   * What an import of `urls` would do: feeds already followed are skipped, invalid URLs fail at once, and of the new
   * ones only as many as the guild has free feed slots are tried; the rest are refused (counted in `overLimit`).
   * Every feed tried counts against the free slots, whether or not it then works, so an import makes at most that
   * many fetches.
   */
  planImport(guildId: string, urls: string[]): ImportPlan {
    const plan: ImportPlan = { toTry: [], already: 0, invalid: [], overLimit: 0 };
    const free = Math.max(0, this.deps.maxFeedsPerGuild - this.followedBy(guildId).length);
    const seen = new Set<string>();
    for (const raw of urls) {
      let url: string;
      try {
        url = normaliseFeedUrl(raw);
      } catch (error) {
        plan.invalid.push({ url: raw.slice(0, 200), reason: (error as Error).message });
        continue;
      }
      if (seen.has(url)) continue;
      seen.add(url);
      if (this.resolveFollowed(guildId, url)) plan.already++;
      else if (plan.toTry.length < free) plan.toTry.push(url);
      else plan.overLimit++;
    }
    return plan;
  }

  /**
   * Runs an import plan in the background: at most IMPORT_CONCURRENCY fetches at a time, on the member fetch budget,
   * reporting progress after each feed. One import per guild at a time (a second one is refused with 'busy').
   * Stopping Herald (close) stops it starting more fetches.
   */
  startImport(guildId: string, plan: ImportPlan, onProgress: (done: number, total: number) => void): Promise<ImportSummary> {
    if (this.importing.has(guildId)) {
      throw new FeedProblem('busy', 'An import is already running in this server. Wait for its summary, then import again.');
    }
    this.importing.add(guildId);
    const signal = AbortSignal.any([this.stopper.signal, AbortSignal.timeout(IMPORT_DEADLINE_MS)]);
    const summary: ImportSummary = { added: 0, already: plan.already, failed: [...plan.invalid], overLimit: plan.overLimit, stopped: 0 };
    const run = async () => {
      let next = 0;
      let done = 0;
      const worker = async () => {
        while (next < plan.toTry.length) {
          const url = plan.toTry[next++]!;
          if (signal.aborted) {
            summary.stopped++;
            continue;
          }
          try {
            const result = await this.follow(guildId, url);
            if (result.alreadyFollowed) summary.already++;
            else summary.added++;
          } catch (error) {
            if (error instanceof FeedProblem && error.code === 'limit') summary.overLimit++;
            else {
              if (!(error instanceof FeedProblem)) this.deps.log.warn({ event: 'feed.import_failed', guild: guildId, feed: url, error: String(error) }, 'import of one feed failed');
              summary.failed.push({ url, reason: error instanceof FeedProblem ? error.message : "something went wrong on Herald's side" });
            }
          }
          onProgress(++done, plan.toTry.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, plan.toTry.length) }, worker));
      this.deps.log.info({ event: 'feed.import', guild: guildId, added: summary.added, failed: summary.failed.length, overLimit: summary.overLimit, stopped: summary.stopped }, 'import finished');
      return summary;
    };
    const task = run().finally(() => {
      this.importing.delete(guildId);
      this.imports.delete(task);
    });
    this.imports.add(task);
    return task;
  }

  /** Stops imports from starting more fetches and waits for the fetches under way. */
  async close(): Promise<void> {
    this.stopper.abort();
    await Promise.allSettled([...this.imports]);
  }

  /** The guild stops following a feed. Returns false when it did not follow it. */
  async unfollow(guildId: string, rawUrl: string): Promise<boolean> {
    const url = this.resolveFollowed(guildId, rawUrl);
    if (!url) return false;
    await this.lock.run(guildId, async () => {
      const record = this.guilds.get(guildId) ?? { follows: [], droppedDefaults: [] };
      const next: GuildFeedsRecord = {
        follows: record.follows.filter((u) => u !== url),
        droppedDefaults: this.deps.defaultFeeds.includes(url) ? [...new Set([...record.droppedDefaults, url])] : record.droppedDefaults,
      };
      await this.deps.store.guildFeeds.set(guildId, next);
      this.guilds.set(guildId, next);
    });
    await this.announce(guildId);
    this.deps.log.info({ event: 'feed.unfollow', guild: guildId, feed: url }, 'guild unfollows feed');
    return true;
  }

  /** Finds the followed feed a user means, tolerating a missing scheme or trailing slash. */
  resolveFollowed(guildId: string, rawUrl: string): string | null {
    const followed = this.followedBy(guildId);
    let wanted: string;
    try {
      wanted = normaliseFeedUrl(rawUrl);
    } catch {
      return null;
    }
    const key = looseUrlKey(wanted);
    return followed.find((u) => u === wanted) ?? followed.find((u) => looseUrlKey(u) === key) ?? null;
  }

  /** One feed's record (its title, health and polling state), or undefined before its first poll. */
  record(url: string): Promise<FeedRecord | undefined> {
    return this.deps.store.feeds.get(url);
  }

  /** The latest items of these feeds as last parsed, newest first (for /preview and /why). */
  recentItems(feedUrls: string[]): Promise<RecentEntry[]> {
    return recentItemsOf(this.deps.store, feedUrls);
  }

  async list(guildId: string): Promise<FeedRecord[]> {
    const records = await Promise.all(this.followedBy(guildId).map((url) => this.deps.store.feeds.get(url)));
    return records.filter((r): r is FeedRecord => r !== undefined);
  }

  /** Guild ids that follow a feed explicitly; defaults are followed by every guild that has not dropped them. */
  guildsFollowing(url: string, allGuildIds: Iterable<string>): string[] {
    const result: string[] = [];
    for (const guildId of allGuildIds) if (this.isFollowedBy(guildId, url)) result.push(guildId);
    return result;
  }
}
