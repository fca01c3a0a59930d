import type { FeedService } from '../feeds/follow/feed-service.js';
import type { FeedItem } from '../feeds/types.js';
import type { DiscordRest } from '../discord/rest.js';
import type { Logger } from '../log.js';
import type { SubscriptionService } from '../match/subscription-service.js';
import type { FeedRecord } from '../feeds/records.js';
import { KeyedLock, type SectionLock } from '../store/store.js';
import type { AlertRecord, AlertStore, OutboxEntry } from './records.js';
import { alertSummary, composeAlert } from './compose.js';
import { deliverOnce, type DeliverHooks } from './deliver.js';
import { Dispatcher } from './dispatcher.js';
import { matchableItem } from './matchable-item.js';
import { enqueue, queued } from './outbox.js';
import { postedMessage } from './posted-claims.js';
import { routeItem } from './route.js';
import type { RecentHeadline } from './recent-headlines.js';
import { SameStoryTracker, type SameStoryDeps } from './same-story.js';
import { isPendingClaim, postedKey, storyKeys } from './story-keys.js';

export interface AlertServiceDeps extends DeliverHooks {
  store: AlertStore;
  subscriptions: SubscriptionService;
  feeds: Pick<FeedService, 'isFollowedBy'>;
  rest: DiscordRest;
  log: Logger;
  clock: () => Date;
  /** First retry delay after a failed send; doubles per attempt. */
  retryDelayMs?: number;
  /**
   * Fills a matched item's missing summary (and image) from its article page (ArticleSummaries.enrich); never throws.
   * Called only for items that go to at least one channel. Default: the item as it is.
   */
  enrichItem?: (item: FeedItem, feed: FeedRecord) => Promise<FeedItem>;
  /** How long the same story from another outlet is folded into a channel's first alert (ms); 0 or absent: off. */
  duplicateWindowMs?: number;
  /** Serialises edits of one message; share it with RatingService so votes and "Also reported by" edits never clash. */
  messageLock?: SectionLock;
  /**
   * One same-story decision at a time per channel. In one process a local lock; with several workers a lock in Redis,
   * so two outlets' versions of a story handled by two workers at once still make one post.
   */
  channelLock?: SectionLock;
  /** Votes shared by several processes (Redis), for the "Also reported by" edit to show. */
  sharedVotes?: SameStoryDeps['sharedVotes'];
  /**
   * Where queued alerts go to be sent: by default an in-process Dispatcher (one process); with several processes a
   * job queue (src/jobs/delivery-jobs.ts), whose workers call `deliverEntry`.
   */
  sender?: AlertSender;
}

/** Sends queued alerts: the in-process Dispatcher, or a job queue shared by several workers. */
export interface AlertSender {
  /** Starts (or queues) the sending of an entry already in the outbox. */
  send(entry: OutboxEntry): void | Promise<void>;
  /**
   * Queues an entry found already in the outbox unless its sending is under way. Senders shared by processes need it:
   * a process that died between writing the entry and queueing its job left the entry alone (one process drains its
   * outbox when it starts again).
   */
  ensureQueued?(entry: OutboxEntry): Promise<void>;
  /** Resolves when nothing this process started is in flight. */
  idle(): Promise<void>;
  close(): void;
}

/**
 * Decides which channels get an item, composes the embed, and sends it: persisted to the outbox first, so an alert
 * decided is an alert delivered even across a crash; one message per item per channel; never a ping. The pieces:
 * route (which channels), compose (the embed), outbox (queued alerts), deliver (one send), dispatcher (order, retries).
 */
export class AlertService {
  private readonly dispatcher: AlertSender;
  private readonly sameStory: SameStoryTracker;
  /** "Also reported by" edits under way (idle() waits for them). */
  private readonly edits = new Set<Promise<void>>();

  constructor(private readonly deps: AlertServiceDeps) {
    const { store, rest, log, clock } = deps;
    this.sameStory = new SameStoryTracker({
      store,
      rest,
      log,
      clock,
      windowMs: deps.duplicateWindowMs ?? 0,
      messageLock: deps.messageLock ?? new KeyedLock(),
      channelLock: deps.channelLock ?? new KeyedLock(),
      ...(deps.sharedVotes ? { sharedVotes: deps.sharedVotes } : {}),
    });
    this.dispatcher = deps.sender ?? new Dispatcher({ deliver: (entry) => this.deliverEntry(entry), log: deps.log, retryDelayMs: deps.retryDelayMs });
  }

  /**
   * One attempt at sending a queued alert (the caller keeps its channel's alerts one at a time): the entry to try
   * again later, or null when settled. Rejects when the store fails; the entry then stays in the outbox.
   */
  async deliverEntry(entry: OutboxEntry): Promise<OutboxEntry | null> {
    const retry = await deliverOnce(this.deps, entry);
    if (!retry) await this.sameStory.afterDelivery(entry);
    return retry;
  }

  /**
   * Routes new items to channels and queues their alerts. Resolves once every alert is in the outbox; throws
   * StoreUnavailableError when the store fails (what was queued before stays queued).
   */
  async handleNewItems(feed: FeedRecord, items: FeedItem[]): Promise<void> {
    for (const item of items) {
      const entries = await this.compose(feed, item);
      for (const entry of entries) {
        const where = { guild: entry.guildId, channel: entry.channelId, feed: feed.url, item: item.id };
        const reporter = { outlet: feed.title, feedUrl: feed.url, link: item.link };
        const admission = await this.sameStory.admit(entry, reporter, () => enqueue(this.deps.store.outbox, entry));
        if (admission.kind === 'queued') {
          await this.dispatcher.send(entry);
        } else if (admission.kind === 'already_queued') {
          // The same link from another feed adds nothing: the entry already queued is sent as it is, with its nonce.
          this.deps.log.info({ event: 'alert.already_queued', ...where }, 'this story is already queued for this channel');
          await this.dispatcher.ensureQueued?.(entry);
        } else if (admission.kind === 'same_outlet') {
          this.deps.log.info({ event: 'alert.same_story', ...where, first: admission.first.title }, 'this feed already told this story here');
        } else {
          this.deps.log.info({ event: 'alert.same_story', ...where, first: admission.first.title }, 'story already posted here from another outlet; listing this one on it');
          this.editInBackground(entry.channelId, admission.first);
        }
      }
    }
  }

  /** The outbox entries (one per channel) an item produces; empty when nothing matches or all were posted. */
  async compose(feed: FeedRecord, item: FeedItem): Promise<OutboxEntry[]> {
    const matchable = matchableItem(item, feed);
    const routes = routeItem(this.deps, feed, matchable);
    const entries: OutboxEntry[] = [];
    const keys = storyKeys(item);
    // With the duplicate window on, only the same link is skipped here: the same headline from another outlet goes on
    // to handleNewItems, which lists that outlet on the first alert.
    const skipKeys = this.deps.duplicateWindowMs ? keys.slice(0, 1) : keys;
    // matched on the feed's own text; the article page (when needed) is read once, for the first channel to post in
    let story: { item: FeedItem; summary: string } | null = null;
    for (const [channelId, route] of routes) {
      // A cheap early skip for the common case (the same story from many feeds), so no embed is built for it. It
      // decides nothing: the send claims the story keys atomically (deliverOnce), which is what keeps it to one post.
      const already = await postedMessage(this.deps.store.posted, skipKeys.map((key) => postedKey(channelId, key)));
      if (already) {
        this.deps.log.info({ event: 'alert.duplicate', guild: route.guildId, channel: channelId, feed: feed.url, item: item.id, message: already }, 'story already posted here');
        continue;
      }
      if (!story) {
        const enriched = this.deps.enrichItem ? await this.deps.enrichItem(item, feed) : item;
        story = { item: enriched, summary: alertSummary(enriched) };
      }
      entries.push(composeAlert({ feed, item: story.item, channelId, route, summary: story.summary, storyKeys: keys, now: this.deps.clock() }));
    }
    return entries;
  }

  /** Sends whatever the outbox still holds (after a restart, or after failures). */
  async drainOutbox(): Promise<number> {
    const pending = await queued(this.deps.store.outbox);
    for (const entry of pending) await this.dispatcher.send(entry);
    await this.idle();
    return pending.length;
  }

  /** Sends what a channel's outbox holds (its alerts held while it was paused), oldest first. Returns how many. */
  async resendChannel(channelId: string): Promise<number> {
    const pending = (await queued(this.deps.store.outbox)).filter((entry) => entry.channelId === channelId);
    for (const entry of pending) await this.dispatcher.send(entry);
    return pending.length;
  }

  /**
   * The alert that carries this story in a channel (for /why): its message id and, when still stored, its record.
   * Alerts still being sent don't count.
   */
  async postedAlert(channelId: string, item: Pick<FeedItem, 'id' | 'link' | 'title'>): Promise<{ messageId: string; alert: AlertRecord | undefined } | null> {
    for (const key of storyKeys(item)) {
      const messageId = await this.deps.store.posted.get(postedKey(channelId, key));
      if (messageId && !isPendingClaim(messageId)) return { messageId, alert: await this.deps.store.alerts.get(messageId) };
    }
    return null;
  }

  /** Resolves when no send or edit is in flight. */
  async idle(): Promise<void> {
    await this.dispatcher.idle();
    while (this.edits.size) await Promise.allSettled([...this.edits]);
  }

  /** The poll goes on while Discord takes the edit (it may wait out a rate limit). */
  private editInBackground(channelId: string, first: RecentHeadline): void {
    const edit = this.sameStory
      .show(channelId, first)
      .catch((error: unknown) => this.deps.log.warn({ event: 'alert.also_reported_failed', channel: channelId, error: error instanceof Error ? error.message : String(error) }, 'could not list the other outlet on the alert; the next edit of it adds it'))
      .finally(() => this.edits.delete(edit));
    this.edits.add(edit);
  }

  /** Stops scheduled retries (what they would send stays in the outbox for the next start). */
  close(): void {
    this.dispatcher.close();
  }
}
