import type { FeedItem } from '../feeds/types.js';
import { asWritten, highlightRanges } from '../match/highlight.js';
import type { FeedRecord } from '../feeds/records.js';
import type { OutboxEntry } from './records.js';
import { buildAlertEmbed } from './embed.js';
import { nonceFor, outboxKey } from './outbox.js';
import type { ChannelRoute } from './route.js';

export interface AlertDraft {
  feed: FeedRecord;
  item: FeedItem;
  channelId: string;
  route: ChannelRoute;
  /** The item's plain summary, already cut to length (see summarize). */
  summary: string;
  /** The item's story keys (see storyKeys); the first one names the alert in the outbox. */
  storyKeys: string[];
  now: Date;
}

/** The outbox entry for one channel: the embed (no votes yet) and what the alert record keeps. Pure. */
export function composeAlert({ feed, item, channelId, route, summary, storyKeys, now }: AlertDraft): OutboxEntry {
  // the terms as the story spells them: listed under "Matched" and bolded where they occur
  const written = route.terms.map((term) => asWritten(term, item.title, summary));
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
