import { createHash } from 'node:crypto';
import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { Logger } from '../log.js';
import type { FeedItem } from '../feeds/types.js';
import type { FeedService } from '../feeds/feed-service.js';
import { asWritten, highlightRanges } from '../match/highlight.js';
import type { MatchableItem } from '../match/item.js';
import type { MatchedTerm } from '../match/matched-term.js';
import type { SubscriptionService } from '../match/subscription-service.js';
import { RATING_EMOJIS } from '../ratings/rating.js';
import type { AlertRecord, FeedRecord, OutboxEntry } from '../store/records.js';
import type { Store } from '../store/store.js';
import { KeyedLock } from '../store/store.js';
import { buildAlertEmbed } from './embed.js';
import { htmlToText, summarize } from './summary.js';

export type DiscordRest = Pick<REST, 'post' | 'patch' | 'put' | 'delete'>;

/** How long a channel remembers a posted story, to skip the same story from another feed. */
export const POSTED_TTL_MS = 30 * 24 * 60 * 60_000;
/** Attempts before an alert that keeps failing (not for a permanent reason) is dropped. */
export const MAX_SEND_ATTEMPTS = 8;

/** A `posted` claim held by an alert still being sent: `pending:<outbox key>`. */
const PENDING = 'pending:';

/** Discord error codes after which retrying a send can never help. */
const UNKNOWN_CHANNEL = 10003;
const MISSING_ACCESS = 50001;
const MISSING_PERMISSIONS = 50013;
const CANNOT_SEND_IN_CHANNEL = 50008;

export interface AlertServiceDeps {
  store: Store;
  subscriptions: SubscriptionService;
  feeds: Pick<FeedService, 'isFollowedBy'>;
  rest: DiscordRest;
  log: Logger;
  clock: () => Date;
  /** Add the 1️⃣–5️⃣ reactions to each alert so members rate with one click. */
  addRatingReactions?: boolean;
  /** First retry delay after a failed send; doubles per attempt. */
  retryDelayMs?: number;
}

/** The text a feed item is matched on. */
export function matchableItem(item: FeedItem, feed: Pick<FeedRecord, 'title' | 'siteUrl'>): MatchableItem & { summaryText: string } {
  const summaryText = htmlToText(item.summaryHtml);
  return {
    title: item.title,
    summary: summaryText,
    summaryText,
    categories: item.categories,
    source: [feed.title, feed.siteUrl].filter(Boolean).join(' '),
    author: item.author ?? '',
  };
}

/** Keys under which a story counts as already posted in a channel: its link, and its headline when distinctive. */
export function storyKeys(item: Pick<FeedItem, 'id' | 'link' | 'title'>): string[] {
  const keys = [item.link ? `link:${item.link}` : `id:${item.id}`];
  const title = item.title.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  if (title.length >= 24) keys.push(`title:${title}`);
  return keys;
}

/** The claim an outbox entry holds on its story keys while it is being sent. */
export function pendingClaim(outboxKey: string): string {
  return `${PENDING}${outboxKey}`;
}

/** True when a `posted` value is a claim of an alert still being sent, not a message id. */
export function isPendingClaim(value: string): boolean {
  return value.startsWith(PENDING);
}

/**
 * The nonce of the alert stored under an outbox key (channel + story): derived, never random, so every send of that
 * alert, from any process, carries the same nonce and Discord's `enforce_nonce` returns the message already created
 * (within its window of a few minutes) instead of posting it again. Discord takes up to 25 characters.
 */
export function nonceFor(outboxKey: string): string {
  return createHash('sha256').update(outboxKey).digest('hex').slice(0, 25);
}

/**
 * Decides which channels get an item, composes the embed, and sends it: persisted to the outbox first, so an alert
 * decided is an alert delivered even across a crash; one message per item per channel; never a ping.
 */
export class AlertService {
  private readonly channelLock = new KeyedLock();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly deps: AlertServiceDeps) {}

  /**
   * Routes new items to channels and queues their alerts. Resolves once every alert is in the outbox; throws
   * StoreUnavailableError when the store fails (what was queued before stays queued).
   */
  async handleNewItems(feed: FeedRecord, items: FeedItem[]): Promise<void> {
    for (const item of items) {
      const entries = await this.compose(feed, item);
      for (const entry of entries) {
        // Never replace a queued entry: the one there may have been sent already (its answer lost) and must be
        // retried as it is, with its nonce. The same story from another feed adds nothing.
        if (await this.deps.store.outbox.addIfAbsent(entry.key, entry)) {
          this.track(this.deliver(entry));
        } else {
          this.deps.log.info({ event: 'alert.already_queued', guild: entry.guildId, channel: entry.channelId, feed: feed.url, item: item.id }, 'this story is already queued for this channel');
        }
      }
    }
  }

  /** The outbox entries (one per channel) an item produces; empty when nothing matches or all were posted. */
  async compose(feed: FeedRecord, item: FeedItem): Promise<OutboxEntry[]> {
    const matchable = matchableItem(item, feed);
    const byChannel = new Map<string, { guildId: string; subscriptionIds: string[]; terms: MatchedTerm[] }>();
    const follows = new Map<string, boolean>();
    // a guild's regexes run only on items of feeds it follows
    for (const matched of this.deps.subscriptions.matchAlternatives(matchable, { guildFollows: (guildId) => this.deps.feeds.isFollowedBy(guildId, feed.url) })) {
      for (const subscriptionId of matched.members) {
        const sub = this.deps.subscriptions.get(subscriptionId);
        if (!sub) continue;
        let followed = follows.get(sub.guildId);
        if (followed === undefined) follows.set(sub.guildId, (followed = this.deps.feeds.isFollowedBy(sub.guildId, feed.url)));
        if (!followed) continue;
        let group = byChannel.get(sub.channelId);
        if (!group) byChannel.set(sub.channelId, (group = { guildId: sub.guildId, subscriptionIds: [], terms: [] }));
        // a subscription is listed once per alternative of its query that matched
        if (!group.subscriptionIds.includes(subscriptionId)) group.subscriptionIds.push(subscriptionId);
        for (const term of matched.terms) if (!group.terms.some((t) => t.text === term.text)) group.terms.push(term);
      }
    }

    const entries: OutboxEntry[] = [];
    const keys = storyKeys(item);
    const summary = summarize(matchable.summaryText, { title: item.title });
    for (const [channelId, group] of byChannel) {
      // the terms as the story spells them: listed under "Matched" and bolded where they occur
      const written = group.terms.map((term) => asWritten(term, item.title, summary));
      const terms = written.map((term) => term.text);
      const already = await this.postedMessage(channelId, keys);
      if (already) {
        this.deps.log.info({ event: 'alert.duplicate', guild: group.guildId, channel: channelId, feed: feed.url, item: item.id, message: already }, 'story already posted here');
        continue;
      }
      const embed = buildAlertEmbed(
        {
          headline: item.title,
          headlineHighlights: highlightRanges(item.title, written),
          link: item.link,
          summary,
          highlights: highlightRanges(summary, written),
          image: item.image,
          published: item.published,
          feedTitle: feed.title,
          feedSiteUrl: feed.siteUrl,
          terms,
        },
        { count: 0, average: null },
      );
      const key = `${channelId}|${keys[0]}`;
      entries.push({
        key,
        guildId: group.guildId,
        channelId,
        feedUrl: feed.url,
        itemId: item.id,
        title: item.title,
        link: item.link,
        terms,
        subscriptionIds: group.subscriptionIds,
        embed,
        nonce: nonceFor(key),
        createdAt: this.deps.clock().toISOString(),
        attempts: 0,
      });
    }
    return entries;
  }

  /** Sends whatever the outbox still holds (after a restart, or after failures). */
  async drainOutbox(): Promise<number> {
    const pending: OutboxEntry[] = [];
    for await (const [, entry] of this.deps.store.outbox.entries()) pending.push(entry);
    pending.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const entry of pending) this.track(this.deliver(entry));
    await this.idle();
    return pending.length;
  }

  /** Resolves when no send is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops scheduled retries (what they would send stays in the outbox for the next start). */
  close(): void {
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private scheduleRetry(entry: OutboxEntry): void {
    if (this.closed) return;
    if (entry.attempts >= MAX_SEND_ATTEMPTS) {
      // only after store failures (a failing send is dropped before): the entry stays in the outbox
      this.deps.log.error({ event: 'alert.stuck', guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId }, 'alert still unsent after store failures; it is sent at the next start');
      return;
    }
    const delay = (this.deps.retryDelayMs ?? 30_000) * 2 ** Math.max(0, entry.attempts - 1);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (!this.closed) this.track(this.deliver(entry));
    }, delay);
    timer.unref?.();
    this.retryTimers.add(timer);
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  private async postedMessage(channelId: string, keys: string[]): Promise<string | undefined> {
    for (const key of keys) {
      const message = await this.deps.store.posted.get(`${channelId}|${key}`);
      if (message) return message;
    }
    return undefined;
  }

  /**
   * Sends one outbox entry; one channel at a time, so a channel's alerts keep their order. Never throws: when the
   * store fails, the entry (still in the outbox) is retried later.
   */
  private deliver(entry: OutboxEntry): Promise<void> {
    return this.channelLock.run(entry.channelId, async () => {
      try {
        await this.deliverNow(entry);
      } catch (error) {
        const attempts = entry.attempts + 1;
        this.deps.log.warn(
          { event: 'alert.store_unavailable', guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId, attempts, error: describe(error) },
          'the store failed while sending an alert; it stays in the outbox and is retried',
        );
        this.scheduleRetry({ ...entry, attempts });
      }
    });
  }

  private async deliverNow(queued: OutboxEntry): Promise<void> {
    const { store, log, rest } = this.deps;
    // The stored entry is the truth (its attempts, its nonce); gone means delivered by an earlier drain.
    const entry = await store.outbox.get(queued.key);
    if (!entry) return;
    const where = { guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId };
    const claimKeys = storyKeys({ id: entry.itemId, link: entry.link, title: entry.title }).map((key) => `${entry.channelId}|${key}`);
    const claim = pendingClaim(entry.key);
    const holder = await this.claim(claimKeys, claim);
    if (holder) {
      // Another alert already carries this story here (posted, or being sent): this one is a duplicate.
      await this.release(claimKeys, claim);
      await store.outbox.delete(entry.key);
      log.info({ event: 'alert.duplicate', ...where, message: holder }, 'story already posted here');
      return;
    }
    let messageId: string;
    try {
      const message = (await rest.post(Routes.channelMessages(entry.channelId), {
        body: { embeds: [entry.embed], allowed_mentions: { parse: [] }, nonce: entry.nonce, enforce_nonce: true },
      })) as { id: string };
      messageId = message.id;
    } catch (error) {
      await this.sendFailed(entry, error, claimKeys);
      return;
    }

    const { key: _key, nonce: _nonce, createdAt: _createdAt, attempts: _attempts, ...target } = entry;
    const record: AlertRecord = { ...target, messageId, postedAt: this.deps.clock().toISOString(), votes: {} };
    // A resend that Discord answered with the message it had already made must not reset that alert's votes.
    await store.alerts.addIfAbsent(messageId, record);
    // Our own claims become the message id (a crash before this resends with the same nonce: Discord dedupes it).
    for (const key of claimKeys) await store.posted.set(key, messageId, POSTED_TTL_MS);
    await store.outbox.delete(entry.key);
    log.info({ event: 'alert.posted', ...where, message: messageId, terms: entry.terms }, 'alert posted');

    if (this.deps.addRatingReactions !== false) {
      for (const emoji of RATING_EMOJIS) {
        try {
          await rest.put(Routes.channelMessageOwnReaction(entry.channelId, messageId, encodeURIComponent(emoji)));
        } catch (error) {
          log.warn({ event: 'alert.react_failed', ...where, message: messageId, error: describe(error) }, 'could not add rating reactions (is Add Reactions allowed?)');
          break;
        }
      }
    }
  }

  /**
   * Claims every story key of an alert in its channel (atomic add-if-absent per key; a claim already ours, from an
   * earlier attempt, counts). Returns what holds a key another alert has, or undefined when all are ours.
   */
  private async claim(claimKeys: string[], claim: string): Promise<string | undefined> {
    const { posted } = this.deps.store;
    for (const key of claimKeys) {
      if (await posted.addIfAbsent(key, claim, POSTED_TTL_MS)) continue;
      const holder = await posted.get(key);
      if (holder === claim) continue;
      // freed between the add and the read: one more add decides
      if (holder === undefined && (await posted.addIfAbsent(key, claim, POSTED_TTL_MS))) continue;
      return holder ?? 'unknown';
    }
    return undefined;
  }

  /** Gives back the claims an alert that will not be posted holds (under the channel lock, so no one else writes them). */
  private async release(claimKeys: string[], claim: string): Promise<void> {
    const { posted } = this.deps.store;
    for (const key of claimKeys) if ((await posted.get(key)) === claim) await posted.delete(key);
  }

  /**
   * A send that failed. A definite refusal drops the alert (and its claims); anything else (network error, 5xx,
   * timeout: the message may exist) keeps it queued with its claims and its nonce, to be sent again as it is.
   */
  private async sendFailed(entry: OutboxEntry, error: unknown, claimKeys: string[]): Promise<void> {
    const { store, log } = this.deps;
    const where = { guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId };
    const code = error instanceof DiscordAPIError ? Number(error.code) : null;
    const drop = async () => {
      await this.release(claimKeys, pendingClaim(entry.key));
      await store.outbox.delete(entry.key);
    };
    if (code === UNKNOWN_CHANNEL) {
      await drop();
      const removed = await this.deps.subscriptions.removeChannel(entry.channelId);
      log.warn({ event: 'alert.channel_gone', ...where, removedSubscriptions: removed }, 'channel no longer exists; its subscriptions were removed');
      return;
    }
    if (code === MISSING_ACCESS || code === MISSING_PERMISSIONS || code === CANNOT_SEND_IN_CHANNEL) {
      await drop();
      log.warn({ event: 'alert.forbidden', ...where, error: describe(error) }, 'Herald may not post in this channel: grant View Channel, Send Messages and Embed Links');
      return;
    }
    const attempts = entry.attempts + 1;
    if (attempts >= MAX_SEND_ATTEMPTS || (error instanceof DiscordAPIError && error.status >= 400 && error.status < 500)) {
      await drop();
      log.error({ event: 'alert.dropped', ...where, attempts, error: describe(error) }, 'alert dropped after failed sends');
      return;
    }
    const retry = { ...entry, attempts };
    await store.outbox.set(entry.key, retry); // the same entry (same nonce), one more attempt: under the channel lock
    log.warn({ event: 'alert.send_failed', ...where, attempts, error: describe(error) }, 'alert send failed; it stays in the outbox and is retried');
    this.scheduleRetry(retry);
  }
}

export function describe(error: unknown): string {
  if (error instanceof DiscordAPIError) return `${error.status} ${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
