import type { FeedService } from '../feeds/follow/feed-service.js';
import type { FeedItem } from '../feeds/types.js';
import type { DiscordRest } from '../discord/rest.js';
import type { Logger } from '../log.js';
import type { SubscriptionService } from '../match/subscription-service.js';
import type { FeedRecord } from '../feeds/records.js';
import type { AlertRecord, AlertStore, OutboxEntry } from './records.js';
import { composeAlert } from './compose.js';
import { deliverOnce, type DeliverHooks } from './deliver.js';
import { Dispatcher } from './dispatcher.js';
import { matchableItem } from './matchable-item.js';
import { enqueue, queued } from './outbox.js';
import { postedMessage } from './posted-claims.js';
import { routeItem } from './route.js';
import { isPendingClaim, postedKey, storyKeys } from './story-keys.js';
import { summarize } from './summary.js';

export interface AlertServiceDeps extends DeliverHooks {
  store: AlertStore;
  subscriptions: SubscriptionService;
  feeds: Pick<FeedService, 'isFollowedBy'>;
  rest: DiscordRest;
  log: Logger;
  clock: () => Date;
  /** First retry delay after a failed send; doubles per attempt. */
  retryDelayMs?: number;
}

/**
 * Decides which channels get an item, composes the embed, and sends it: persisted to the outbox first, so an alert
 * decided is an alert delivered even across a crash; one message per item per channel; never a ping. The pieces:
 * route (which channels), compose (the embed), outbox (queued alerts), deliver (one send), dispatcher (order, retries).
 */
export class AlertService {
  private readonly dispatcher: Dispatcher;

  constructor(private readonly deps: AlertServiceDeps) {
    this.dispatcher = new Dispatcher({ deliver: (entry) => deliverOnce(deps, entry), log: deps.log, retryDelayMs: deps.retryDelayMs });
  }

  /**
   * Routes new items to channels and queues their alerts. Resolves once every alert is in the outbox; throws
   * StoreUnavailableError when the store fails (what was queued before stays queued).
   */
  async handleNewItems(feed: FeedRecord, items: FeedItem[]): Promise<void> {
    for (const item of items) {
      const entries = await this.compose(feed, item);
      for (const entry of entries) {
        // The same story from another feed adds nothing: the entry already queued is sent as it is, with its nonce.
        if (await enqueue(this.deps.store.outbox, entry)) {
          this.dispatcher.send(entry);
        } else {
          this.deps.log.info({ event: 'alert.already_queued', guild: entry.guildId, channel: entry.channelId, feed: feed.url, item: item.id }, 'this story is already queued for this channel');
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
    const summary = summarize(matchable.summaryText, { title: item.title });
    for (const [channelId, route] of routes) {
      // A cheap early skip for the common case (the same story from many feeds), so no embed is built for it. It
      // decides nothing: the send claims the story keys atomically (deliverOnce), which is what keeps it to one post.
      const already = await postedMessage(this.deps.store.posted, keys.map((key) => postedKey(channelId, key)));
      if (already) {
        this.deps.log.info({ event: 'alert.duplicate', guild: route.guildId, channel: channelId, feed: feed.url, item: item.id, message: already }, 'story already posted here');
        continue;
      }
      entries.push(composeAlert({ feed, item, channelId, route, summary, storyKeys: keys, now: this.deps.clock() }));
    }
    return entries;
  }

  /** Sends whatever the outbox still holds (after a restart, or after failures). */
  async drainOutbox(): Promise<number> {
    const pending = await queued(this.deps.store.outbox);
    for (const entry of pending) this.dispatcher.send(entry);
    await this.idle();
    return pending.length;
  }

  /** Sends what a channel's outbox holds (its alerts held while it was paused), oldest first. Returns how many. */
  async resendChannel(channelId: string): Promise<number> {
    const pending = (await queued(this.deps.store.outbox)).filter((entry) => entry.channelId === channelId);
    for (const entry of pending) this.dispatcher.send(entry);
    return pending.length;
  }

  /** Resolves when no send is in flight. */
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

  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  /** Stops scheduled retries (what they would send stays in the outbox for the next start). */
  close(): void {
    this.dispatcher.close();
  }
}
