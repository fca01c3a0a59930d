import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import type { FeedRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { FetchError, type Fetcher } from './fetcher.js';
import { parseFeed } from './parse.js';
import { recentItemsRecord } from './recent.js';
import { findNewItems } from './seen.js';
import type { FeedItem } from './types.js';

/** Failures back off from the poll interval, doubling, capped at a day. */
export const BACKOFF_BASE_MS = 2 * 60_000;
export const BACKOFF_CAP_MS = 24 * 60 * 60_000;

export interface PollerDeps {
  store: Store;
  fetcher: Fetcher;
  log: Logger;
  clock: () => Date;
  /** Every feed URL to poll this cycle. */
  feedUrls: () => string[];
  /**
   * Called with a feed's new items, oldest first, before they are marked seen. It must persist what it decides
   * (the outbox) before resolving: a crash after that re-detects nothing, a crash before re-detects everything.
   */
  onNewItems: (feed: FeedRecord, items: FeedItem[]) => Promise<void>;
  /** How many feeds are fetched at once. */
  concurrency?: number;
}

export type PollOutcome = 'new-items' | 'unchanged' | 'not-modified' | 'first-fetch' | 'failed' | 'skipped';

export interface CycleReport {
  feeds: number;
  outcomes: Record<PollOutcome, number>;
  newItems: number;
}

/** One poll cycle over every followed feed; overlapping calls share the cycle in flight. */
export class Poller {
  private running: Promise<CycleReport> | null = null;

  constructor(private readonly deps: PollerDeps) {}

  runCycle(): Promise<CycleReport> {
    this.running ??= this.cycle().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Waits for the cycle in flight, if any (a clean stop finishes it). */
  async runCycleInFlight(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async cycle(): Promise<CycleReport> {
    const urls = this.deps.feedUrls();
    const report: CycleReport = {
      feeds: urls.length,
      outcomes: { 'new-items': 0, unchanged: 0, 'not-modified': 0, 'first-fetch': 0, failed: 0, skipped: 0 },
      newItems: 0,
    };
    let next = 0;
    const worker = async () => {
      while (next < urls.length) {
        const url = urls[next++]!;
        const { outcome, newItems } = await this.pollFeed(url);
        report.outcomes[outcome]++;
        report.newItems += newItems;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.concurrency ?? 32, urls.length) }, worker));
    this.deps.log.debug({ event: 'poll.cycle', ...report }, 'poll cycle done');
    return report;
  }

  /** Polls one feed; never throws (a broken feed must not stop the others). */
  async pollFeed(url: string): Promise<{ outcome: PollOutcome; newItems: number }> {
    const { store, clock, log } = this.deps;
    const now = clock();
    const record = await store.feeds.get(url);
    if (record?.disabledReason) return { outcome: 'skipped', newItems: 0 };
    if (record?.nextPollAt && Date.parse(record.nextPollAt) > now.getTime()) return { outcome: 'skipped', newItems: 0 };

    try {
      const fetched = await this.deps.fetcher.fetch({ url, etag: record?.etag, lastModified: record?.lastModified });
      if (fetched.kind === 'not-modified') {
        if (record) await store.feeds.set(url, succeeded(record, now, { etag: fetched.etag ?? record.etag, lastModified: fetched.lastModified ?? record.lastModified }));
        return { outcome: 'not-modified', newItems: 0 };
      }
      const bodyHash = createHash('sha1').update(fetched.body).digest('base64');
      if (record && record.bodyHash === bodyHash) {
        await store.feeds.set(url, succeeded(record, now, fetched));
        return { outcome: 'unchanged', newItems: 0 };
      }
      const parsed = await parseFeed(fetched.body, { contentType: fetched.contentType, url: fetched.finalUrl });
      if (!parsed.ok) throw parsed.error;

      const base: FeedRecord = record ?? firstRecord(url, parsed.feed.title, parsed.feed.siteUrl, now);
      const seen = await store.seen.get(url);
      const { newItems, next } = findNewItems(seen, parsed.feed.items);
      const updated: FeedRecord = {
        ...succeeded(base, now, fetched),
        title: parsed.feed.title || base.title,
        siteUrl: parsed.feed.siteUrl ?? base.siteUrl,
        bodyHash,
        lastNewItemAt: newItems.length ? now.toISOString() : base.lastNewItemAt,
      };
      if (newItems.length) {
        log.info({ event: 'feed.new_items', feed: url, count: newItems.length }, 'new items');
        await this.deps.onNewItems(updated, newItems);
      }
      await store.seen.set(url, next);
      await store.recent.set(url, recentItemsRecord(parsed.feed.items, now));
      await store.feeds.set(url, updated);
      if (!seen) return { outcome: 'first-fetch', newItems: 0 };
      return { outcome: newItems.length ? 'new-items' : 'unchanged', newItems: newItems.length };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const failures = (record?.consecutiveFailures ?? 0) + 1;
      const retryAfterMs = error instanceof FetchError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
      const backoff = Math.max(retryAfterMs, Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_CAP_MS));
      log.warn({ event: 'feed.poll_failed', feed: url, failures, error: reason }, 'feed poll failed');
      const base = record ?? firstRecord(url, new URL(url).hostname, null, now);
      await store.feeds.set(url, {
        ...base,
        lastPolledAt: now.toISOString(),
        consecutiveFailures: failures,
        firstFailureAt: base.firstFailureAt ?? now.toISOString(),
        lastError: reason,
        nextPollAt: failures > 1 ? new Date(now.getTime() + backoff).toISOString() : null,
      });
      return { outcome: 'failed', newItems: 0 };
    }
  }
}

function firstRecord(url: string, title: string, siteUrl: string | null, now: Date): FeedRecord {
  return {
    url,
    title: title || new URL(url).hostname,
    siteUrl,
    etag: null,
    lastModified: null,
    bodyHash: null,
    addedAt: now.toISOString(),
    lastPolledAt: null,
    lastSuccessAt: null,
    lastNewItemAt: null,
    consecutiveFailures: 0,
    firstFailureAt: null,
    lastError: null,
    disabledReason: null,
    nextPollAt: null,
  };
}

function succeeded(record: FeedRecord, now: Date, validators: { etag: string | null; lastModified: string | null }): FeedRecord {
  return {
    ...record,
    etag: validators.etag,
    lastModified: validators.lastModified,
    lastPolledAt: now.toISOString(),
    lastSuccessAt: now.toISOString(),
    consecutiveFailures: 0,
    firstFailureAt: null,
    lastError: null,
    nextPollAt: null,
  };
}
