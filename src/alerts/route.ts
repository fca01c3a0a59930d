import { metrics } from '../metrics.js';
import type { FeedService } from '../feeds/follow/feed-service.js';
import type { MatchableItem } from '../match/item.js';
import type { MatchedTerm } from '../match/matched-term.js';
import type { SubscriptionService } from '../match/subscription-service.js';
import type { FeedRecord } from '../feeds/records.js';

export interface RouteDeps {
  subscriptions: Pick<SubscriptionService, 'matchAlternatives' | 'get'>;
  feeds: Pick<FeedService, 'isFollowedBy'>;
}

/** Why one channel gets an item: its guild, the subscriptions that matched, and their terms (structured, as matched). */
export interface ChannelRoute {
  guildId: string;
  subscriptionIds: string[];
  terms: MatchedTerm[];
}

/**
 * The channels an item goes to (channel id → route): those with a matching subscription in a guild that follows the
 * item's feed. Each channel once, however many of its subscriptions matched.
 */
export function routeItem(deps: RouteDeps, feed: Pick<FeedRecord, 'url'>, matchable: MatchableItem): Map<string, ChannelRoute> {
  const stopTimer = metrics.matchSeconds.startTimer();
  const byChannel = new Map<string, ChannelRoute>();
  const follows = new Map<string, boolean>();
  // a guild's regexes run only on items of feeds it follows
  for (const matched of deps.subscriptions.matchAlternatives(matchable, { guildFollows: (guildId) => deps.feeds.isFollowedBy(guildId, feed.url) })) {
    for (const subscriptionId of matched.members) {
      const sub = deps.subscriptions.get(subscriptionId);
      if (!sub) continue;
      let followed = follows.get(sub.guildId);
      if (followed === undefined) follows.set(sub.guildId, (followed = deps.feeds.isFollowedBy(sub.guildId, feed.url)));
      if (!followed) continue;
      let group = byChannel.get(sub.channelId);
      if (!group) byChannel.set(sub.channelId, (group = { guildId: sub.guildId, subscriptionIds: [], terms: [] }));
      // a subscription is listed once per alternative of its query that matched
      if (!group.subscriptionIds.includes(subscriptionId)) group.subscriptionIds.push(subscriptionId);
      for (const term of matched.terms) if (!group.terms.some((t) => t.text === term.text)) group.terms.push(term);
    }
  }
  stopTimer();
  return byChannel;
}
