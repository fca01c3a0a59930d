import { Routes } from 'discord.js';
import type { FeedService } from '../feeds/follow/feed-service.js';
import type { Logger } from '../log.js';
import type { SubscriptionService } from '../match/subscription-service.js';
import type { FeedRecord } from '../feeds/records.js';
import { inlineMarkdown } from '../text/discord-markdown.js';
import type { DiscordRest } from '../discord/rest.js';
import { describe } from './send-errors.js';

export interface NoticeDeps {
  rest: DiscordRest;
  feeds: Pick<FeedService, 'guildsFollowing'>;
  subscriptions: Pick<SubscriptionService, 'listForGuild'>;
  /** Every guild the bot is in (client.guilds.cache.keys()): default feeds are followed by all of them. */
  guildIds: () => Iterable<string>;
  log: Logger;
}

/** The notice a channel gets when a feed it may receive alerts from is disabled. Feed text is untrusted: escaped. */
export function feedDisabledNotice(feed: Pick<FeedRecord, 'url' | 'title' | 'disabledReason'>): string {
  const title = inlineMarkdown(feed.title, 200) || 'untitled';
  const reason = inlineMarkdown(feed.disabledReason ?? 'it kept failing', 600);
  return fit(
    `⛔ Herald stopped polling the feed **${title}** (<${feed.url}>): ${reason}.\n` +
      `No alerts will come from it until it is fixed. Once the feed works again (check the address in a browser), run \`/feed retry url:${feed.url.replace(/`/g, '%60')}\`, or stop following it with \`/feed remove\`.`,
  );
}

/** Channels that receive alerts from a feed: those with a subscription in a guild following it, each once. */
export function channelsFor(deps: Pick<NoticeDeps, 'feeds' | 'subscriptions' | 'guildIds'>, url: string): string[] {
  const channels = new Set<string>();
  for (const guildId of deps.feeds.guildsFollowing(url, deps.guildIds())) {
    for (const sub of deps.subscriptions.listForGuild(guildId)) channels.add(sub.channelId);
  }
  return [...channels];
}

/**
 * Posts one feed-disabled notice to every channel with a subscription on the feed. The poller calls it once, when it
 * disables the feed. Never pings; a channel that refuses the message is logged and skipped.
 */
export async function sendFeedDisabledNotices(deps: NoticeDeps, feed: FeedRecord): Promise<number> {
  const content = feedDisabledNotice(feed);
  let sent = 0;
  for (const channelId of channelsFor(deps, feed.url)) {
    try {
      await deps.rest.post(Routes.channelMessages(channelId), { body: { content, allowed_mentions: { parse: [] } } });
      sent++;
      deps.log.info({ event: 'notice.feed_disabled', channel: channelId, feed: feed.url }, 'feed-disabled notice posted');
    } catch (error) {
      deps.log.warn({ event: 'notice.failed', channel: channelId, feed: feed.url, error: describe(error) }, 'could not post the feed-disabled notice');
    }
  }
  return sent;
}

function fit(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
