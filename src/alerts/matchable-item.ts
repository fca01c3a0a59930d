import type { FeedItem } from '../feeds/types.js';
import type { MatchableItem } from '../match/item.js';
import type { FeedRecord } from '../feeds/records.js';
import { summaryTextOf } from '../feeds/parse/plain-text.js';

/** The text a feed item is matched on (and its plain summary text, which the alert summarises). */
export function matchableItem(item: FeedItem, feed: Pick<FeedRecord, 'title' | 'siteUrl'>): MatchableItem & { summaryText: string } {
  const summaryText = summaryTextOf(item); // computed once, when the feed was parsed
  return {
    title: item.title,
    summary: summaryText,
    summaryText,
    categories: item.categories,
    source: [feed.title, feed.siteUrl].filter(Boolean).join(' '),
    author: item.author ?? '',
  };
}
