import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../log.js';
import type { FeedRecord, FeedStore } from '../records.js';
import { KeyedLock, StoreUnavailableError } from '../../store/store.js';
import { FetchError } from '../fetch/fetch-error.js';
import { metrics } from '../../metrics.js';
import type { Fetcher } from '../fetch/fetcher.js';
import { blankFeedRecord } from '../feed-record.js';
import { commitIngested, ingest } from '../ingest.js';
import { parseFeed, type FeedParser } from '../parse/feed.js';
import { DEFAULT_INTERVAL_MS, disabledReasonFor, isDue, jitterMs, nextPollAfterFailure, nextPollAfterSuccess, shouldDisable } from './scheduler.js';
import { findNewItems } from './seen.js';
import type { FeedItem } from '../types.js';

export interface PollerDeps {
  store: FeedStore;
  fetcher: Fetcher;
  log: Logger;
  clock: () => Date;
  /** The fetcher for /feed retry (a member's request): the member budget, so a retry never takes a polling slot. */
  retryFetcher?: Fetcher;
  /** Every feed URL to poll this cycle. */
  feedUrls: () => string[];
  /**
   * Called with a feed's new items, oldest first, before they are marked seen. It must persist what it decides
   * (the outbox) before resolving: a crash after that re-detects nothing, a crash before re-detects everything.
   */
  onNewItems: (feed: FeedRecord, items: FeedItem[]) => Promise<void>;
  /**
   * Called once when a feed is disabled after about 3 days of failure (the record passed is already stored, with
   * `disabledReason` set). Errors are logged, never thrown into the cycle.
   */
  onDisabled?: (feed: FeedRecord) => Promise<void>;
  /** The base poll interval: the cron's period (see scheduler.ts). Backoff starts from it. Default 2 minutes. */
  intervalMs?: number;
  /** How many feeds are polled at once (the fetcher adds its own global and per-host caps). Default 64. */
  concurrency?: number;
  /** Waits between fetches when a cycle is spread; resolves early when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The feed parser: the worker pool in the app (parse/pool.ts), the in-thread parseFeed by default (tests). */
  parse?: FeedParser;
  /**
   * With several processes: claims new items atomically (first claim wins, the same `token` may claim again) and
   * returns the ids this poll may alert on. Absent: every new item (one process).
   */
  claimNewItems?: (feedUrl: string, itemIds: string[], token: string) => Promise<Set<string>>;
}

export type PollOutcome = 'new-items' | 'unchanged' | 'not-modified' | 'first-fetch' | 'failed' | 'disabled' | 'skipped';

export interface CycleReport {
  feeds: number;
  outcomes: Record<PollOutcome, number>;
  newItems: number;
}

export interface CycleOptions {
  /**
   * Spread the fetches over this many ms: each feed waits for its stable offset (scheduler.jitterMs) before it is
   * fetched. The cron tick passes most of the period; `pollNow` in tests passes 0 (everything at once).
   */
  spreadMs?: number;
}

export interface PollResult {
  outcome: PollOutcome;
  newItems: number;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/**
 * Polls the followed feeds. One cycle polls each feed URL once, however many guilds follow it; overlapping calls
 * share the cycle in flight. Which feeds are due, and how failures back off, is the pure math in scheduler.ts.
 */
export class Poller {
  private running: Promise<CycleReport> | null = null;
  private readonly perFeed = new KeyedLock();
  private readonly stopper = new AbortController();
  readonly intervalMs: number;
  private readonly parse: FeedParser;

  constructor(private readonly deps: PollerDeps) {
    this.intervalMs = deps.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.parse = deps.parse ?? parseFeed;
  }

  runCycle(options: CycleOptions = {}): Promise<CycleReport> {
    this.running ??= this.cycle(options).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Waits for the cycle in flight, if any (a clean stop finishes it). */
  async runCycleInFlight(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** Stops dispatching: a spread cycle stops waiting and starts no more fetches; polls under way finish. */
  stop(): void {
    this.stopper.abort();
  }

  private async cycle(options: CycleOptions): Promise<CycleReport> {
    const spreadMs = Math.max(0, options.spreadMs ?? 0);
    const urls = [...new Set(this.deps.feedUrls())]; // one fetch per URL per cycle, however many guilds follow it
    const report: CycleReport = {
      feeds: urls.length,
      outcomes: { 'new-items': 0, unchanged: 0, 'not-modified': 0, 'first-fetch': 0, failed: 0, disabled: 0, skipped: 0 },
      newItems: 0,
    };
    // Earliest offset first; with no spread every offset is 0 and the order is the feeds' own.
    const planned = urls.map((url) => ({ url, offset: jitterMs(url, spreadMs) }));
    if (spreadMs > 0) planned.sort((a, b) => a.offset - b.offset);

    const sleep = this.deps.sleep ?? defaultSleep;
    const signal = this.stopper.signal;
    const started = performance.now();
    const limit = Math.max(1, this.deps.concurrency ?? 64);
    const active = new Set<Promise<void>>();
    for (const { url, offset } of planned) {
      if (signal.aborted) break;
      const wait = offset - (performance.now() - started);
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) break;
      while (active.size >= limit) await Promise.race(active);
      const task = this.pollFeed(url).then(
        ({ outcome, newItems }) => {
          report.outcomes[outcome]++;
          report.newItems += newItems;
          metrics.polls.inc({ outcome });
          if (newItems) metrics.items.inc(newItems);
        },
        (error: unknown) => {
          // Only the store failing gets here (pollFeed turns feed problems into outcomes): not the feed's fault, so
          // its record is untouched and it is polled again next cycle.
          if (error instanceof StoreUnavailableError) {
            report.outcomes.skipped++;
            this.deps.log.warn({ event: 'poll.store_unavailable', feed: url, error: error.message }, 'the store failed; the feed is polled again next cycle');
            return;
          }
          report.outcomes.failed++;
          this.deps.log.error({ event: 'poll.feed_error', feed: url, error: String(error) }, 'polling a feed failed inside Herald');
        },
      );
      const tracked = task.finally(() => active.delete(tracked));
      active.add(tracked);
    }
    await Promise.all(active);
    this.deps.log.debug({ event: 'poll.cycle', ...report }, 'poll cycle done');
    return report;
  }

  /**
   * Re-enables a feed (clears its failures and disabled state) and polls it now. Returns the poll's outcome and the
   * record after it.
   */
  retry(url: string): Promise<PollResult & { feed: FeedRecord | undefined }> {
    return this.perFeed.run(url, async () => {
      const record = await this.deps.store.feeds.get(url);
      if (record) {
        // A retry parses the body again even when it has not changed (bodyHash cleared).
        await this.deps.store.feeds.set(url, { ...record, disabledReason: null, disabledAt: null, consecutiveFailures: 0, firstFailureAt: null, nextPollAt: null, bodyHash: null, bodyParseError: null });
        if (record.disabledReason) this.deps.log.info({ event: 'feed.reenabled', feed: url }, 'feed re-enabled');
      }
      const result = await this.pollFeedNow(url, true, this.deps.retryFetcher);
      return { ...result, feed: await this.deps.store.feeds.get(url) };
    });
  }

  /**
   * Polls one feed if it is due (or `force`); throws only StoreUnavailableError (a broken feed must not stop the
   * others; a broken store leaves the feed as it was, nothing marked seen). Polls of one URL run one at a time.
   */
  pollFeed(url: string, options: { force?: boolean; token?: string } = {}): Promise<PollResult> {
    return this.perFeed.run(url, () => this.pollFeedNow(url, options.force === true, this.deps.fetcher, options.token));
  }

  private async pollFeedNow(url: string, force: boolean, fetcher: Fetcher = this.deps.fetcher, token: string = randomUUID()): Promise<PollResult> {
    const { store, clock, log } = this.deps;
    const now = clock();
    const record = await store.feeds.get(url);
    if (!force && !isDue(record, now, this.intervalMs)) return { outcome: 'skipped', newItems: 0 };

    try {
      const ingested = await ingest(fetcher, this.parse, { url, etag: record?.etag, lastModified: record?.lastModified, knownBodyHash: record?.bodyHash });
      const { fetched } = ingested;
      const nextPollAt = nextPollAfterSuccess(now, fetched.maxAgeSeconds);
      if (ingested.kind === 'not-modified') {
        if (record) {
          const validators = { etag: fetched.etag ?? record.etag, lastModified: fetched.lastModified ?? record.lastModified };
          await store.feeds.set(url, succeeded(record, now, validators, nextPollAt));
        }
        return { outcome: 'not-modified', newItems: 0 };
      }
      if (ingested.kind === 'same-body') {
        // The same bytes as last time (so `record` exists): a body that failed to parse fails again, without paying
        // for the parse.
        if (record!.bodyParseError) throw new BodyParseFailure(record!.bodyParseError, record!);
        await store.feeds.set(url, succeeded(record!, now, ingested.fetched, nextPollAt));
        return { outcome: 'unchanged', newItems: 0 };
      }
      const { bodyHash } = ingested;
      if (ingested.kind === 'unparsed') {
        // Remember the broken body's hash (and why), but not its validators: the next poll must see the bytes again.
        // A parser that crashed (or was busy or stopping) says nothing about the bytes: those are parsed again.
        if (ingested.error.code === 'crashed') throw ingested.error;
        const base = record ?? blankFeedRecord(url, null, null, now);
        throw new BodyParseFailure(ingested.error.message, { ...base, bodyHash, bodyParseError: ingested.error.message });
      }

      const { feed } = ingested;
      const base: FeedRecord = record ?? blankFeedRecord(url, feed.title, feed.siteUrl, now);
      const seen = await store.seen.get(url);
      const found = findNewItems(seen, feed.items, feed.siteUrl);
      let { next } = found;
      let newItems = found.newItems;
      let claimedElsewhere = false;
      if (newItems.length && this.deps.claimNewItems) {
        // another worker polling the same feed at the same moment (a job retried while its first run still went on)
        // alerts on each item once: the claim is one atomic step per item
        const mine = await this.deps.claimNewItems(url, newItems.map((i) => i.id), token);
        const elsewhere = newItems.filter((i) => !mine.has(i.id));
        if (elsewhere.length) {
          // Not marked seen here, and the body is read again next time: the poll holding them may die before it
          // queues their alerts, and a later poll must then still find them new (it may claim them once the holder's
          // job is retried, or its claim has expired).
          claimedElsewhere = true;
          const ids = new Set(elsewhere.map((i) => i.id));
          const links = new Set(elsewhere.flatMap((i) => (i.link ? [i.link] : [])));
          next = { ids: next.ids.filter((id) => !ids.has(id)), links: next.links.filter((link) => !links.has(link)) };
          log.info({ event: 'feed.items_claimed_elsewhere', feed: url, count: elsewhere.length }, 'another poll holds these items; they stay new until it has queued them');
        }
        newItems = newItems.filter((i) => mine.has(i.id));
      }
      const polled = succeeded(base, now, ingested.fetched, nextPollAt);
      const updated: FeedRecord = {
        ...polled,
        ...(claimedElsewhere ? { etag: null, lastModified: null } : {}),
        title: feed.title || base.title,
        siteUrl: feed.siteUrl ?? base.siteUrl,
        bodyHash: claimedElsewhere ? null : bodyHash,
        bodyParseError: null,
        lastNewItemAt: newItems.length ? now.toISOString() : base.lastNewItemAt,
      };
      if (newItems.length) {
        log.info({ event: 'feed.new_items', feed: url, count: newItems.length }, 'new items');
        await this.deps.onNewItems(updated, newItems);
      }
      await commitIngested(store, url, feed, next, updated, now);
      if (!seen) return { outcome: 'first-fetch', newItems: 0 };
      return { outcome: newItems.length ? 'new-items' : 'unchanged', newItems: newItems.length };
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error; // not the feed's failure: nothing recorded, retried next cycle
      return this.failed(url, error instanceof BodyParseFailure ? error.record : record, now, error);
    }
  }

  private async failed(url: string, record: FeedRecord | undefined, now: Date, error: unknown): Promise<PollResult> {
    const { store, log } = this.deps;
    const reason = error instanceof Error ? error.message : String(error);
    metrics.fetchErrors.inc({ kind: error instanceof FetchError ? error.code : error instanceof BodyParseFailure ? 'parse' : 'other' });
    const failures = (record?.consecutiveFailures ?? 0) + 1;
    const base = record ?? blankFeedRecord(url, null, null, now);
    const firstFailureAt = base.firstFailureAt ?? now.toISOString();
    const retryAfterSeconds = error instanceof FetchError ? error.retryAfterSeconds : undefined;
    const updated: FeedRecord = {
      ...base,
      lastPolledAt: now.toISOString(),
      consecutiveFailures: failures,
      firstFailureAt,
      lastError: reason,
      lastErrorAt: now.toISOString(),
      nextPollAt: nextPollAfterFailure({ polledAt: now, failures, intervalMs: this.intervalMs, firstFailureAt, retryAfterSeconds }),
    };
    const disabling = !base.disabledReason && shouldDisable(firstFailureAt, now);
    if (disabling) {
      updated.disabledReason = disabledReasonFor(reason);
      updated.disabledAt = now.toISOString();
      updated.nextPollAt = null;
    }
    await store.feeds.set(url, updated);
    if (!disabling) {
      log.warn({ event: 'feed.poll_failed', feed: url, failures, nextPollAt: updated.nextPollAt, error: reason }, 'feed poll failed');
      return { outcome: 'failed', newItems: 0 };
    }
    log.warn({ event: 'feed.disabled', feed: url, failures, since: firstFailureAt, error: reason }, 'feed disabled after failing for days');
    try {
      await this.deps.onDisabled?.(updated);
    } catch (noticeError) {
      log.error({ event: 'feed.disabled_notice_failed', feed: url, error: String(noticeError) }, 'could not send the feed-disabled notices');
    }
    return { outcome: 'disabled', newItems: 0 };
  }
}

/** A body that did not parse; `record` carries its hash and the reason, to be stored with the failure. */
class BodyParseFailure extends Error {
  override name = 'BodyParseFailure';
  constructor(
    message: string,
    readonly record: FeedRecord,
  ) {
    super(message);
  }
}

function succeeded(
  record: FeedRecord,
  now: Date,
  validators: { etag: string | null; lastModified: string | null },
  nextPollAt: string | null,
): FeedRecord {
  return {
    ...record,
    etag: validators.etag,
    lastModified: validators.lastModified,
    lastPolledAt: now.toISOString(),
    lastSuccessAt: now.toISOString(),
    consecutiveFailures: 0,
    firstFailureAt: null,
    // lastError / lastErrorAt stay: /feed status shows the last error even after the feed recovered.
    nextPollAt,
  };
}
