import { Routes } from 'discord.js';
import type { FeedService } from '../feeds/follow/feed-service.js';
import type { Logger } from '../log.js';
import type { ChannelPause } from '../match/records.js';
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

/** "A", "A and B", "A, B and C". */
function listed(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** What a server reads when a channel's alerts are paused for a missing permission: which, and what to do. */
export function channelPausedNotice(pause: Pick<ChannelPause, 'channelId' | 'missing' | 'error'>): string {
  const channel = `<#${pause.channelId}>`;
  const missing = pause.missing.length ? pause.missing : ['View Channel', 'Send Messages', 'Embed Links'];
  const why = pause.missing.length ? `it lacks **${listed(pause.missing)}** there` : `Discord refused its alerts there (${inlineMarkdown(pause.error, 200)})`;
  return fit(
    `⏸️ Herald paused the alerts for ${channel}: ${why}. ` +
      `Give Herald's role ${listed(missing)} in ${channel} (channel settings → Permissions), then run \`/subscriptions resume\` in ${channel}. ` +
      'The alerts that could not be posted wait and are posted then.',
  );
}

export interface PauseNoticeDeps {
  rest: DiscordRest;
  log: Logger;
  /** Where a server's notices go: its system channel, or the first text channel where Herald can post; null: nowhere. */
  noticeChannel: (guildId: string, except: string) => string | null;
}

/** Posts the one notice of a channel's pause to its server. Returns the channel it went to, or null. Never pings. */
export async function sendChannelPausedNotice(deps: PauseNoticeDeps, pause: ChannelPause): Promise<string | null> {
  const where = { guild: pause.guildId, channel: pause.channelId };
  const target = deps.noticeChannel(pause.guildId, pause.channelId);
  if (!target) {
    deps.log.warn({ event: 'notice.nowhere', ...where }, 'no channel of the server lets Herald post the channel-paused notice');
    return null;
  }
  await deps.rest.post(Routes.channelMessages(target), { body: { content: channelPausedNotice(pause), allowed_mentions: { parse: [] } } });
  deps.log.info({ event: 'notice.channel_paused', ...where, noticeChannel: target }, 'channel-paused notice posted');
  return target;
}

function fit(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
