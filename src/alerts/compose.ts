import type { APIEmbed } from 'discord.js';
import { summaryTextOf } from '../feeds/parse/plain-text.js';
import type { FeedItem } from '../feeds/types.js';
import { asWritten, highlightRanges } from '../match/highlight.js';
import type { MatchedTerm } from '../match/matched-term.js';
import type { FeedRecord } from '../feeds/records.js';
import type { OutboxEntry } from './records.js';
import { buildAlertEmbed } from './embed.js';
import { summarize } from './summary.js';
import { nonceFor, outboxKey } from './outbox.js';
import type { ChannelRoute } from './route.js';

export interface AlertDraft {
  feed: FeedRecord;
  item: FeedItem;
  channelId: string;
  route: ChannelRoute;
  /** The item's plain summary, already cut to length (see alertSummary). */
  summary: string;
  /** The item's story keys (see storyKeys); the first one names the alert in the outbox. */
  storyKeys: string[];
  now: Date;
}

/** The plain summary an alert shows for an item: its own text, in whole sentences, without a repeated headline. Pure. */
export function alertSummary(item: FeedItem): string {
  return summarize(summaryTextOf(item), { title: item.title });
}

/**
 * The embed an alert posts for an item (no votes yet) and the matched terms as the story spells them. Pure: the bot
 * (composeAlert) and `herald check` both build alerts here, so what the CLI prints is what a channel gets.
 */
export function alertEmbed(
  feed: Pick<FeedRecord, 'title' | 'siteUrl'>,
  item: FeedItem,
  summary: string,
  matched: readonly MatchedTerm[],
): { embed: APIEmbed; terms: string[] } {
  // the terms as the story spells them: listed under "Matched" and bolded where they occur
  const written = matched.map((term) => asWritten(term, item.title, summary));
  const terms = written.map((term) => term.text);
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
  return { embed, terms };
}

/** The outbox entry for one channel: the embed (no votes yet) and what the alert record keeps. Pure. */
export function composeAlert({ feed, item, channelId, route, summary, storyKeys, now }: AlertDraft): OutboxEntry {
  const { embed, terms } = alertEmbed(feed, item, summary, route.terms);
  const key = outboxKey(channelId, storyKeys);
  return {
    key,
    guildId: route.guildId,
    channelId,
    feedUrl: feed.url,
    itemId: item.id,
    title: item.title,
    link: item.link,
    terms,
    subscriptionIds: route.subscriptionIds,
    embed,
    nonce: nonceFor(key),
    createdAt: now.toISOString(),
    attempts: 0,
  };
}
