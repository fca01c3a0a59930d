import type { FeedRecord, FeedStore, RecentItemsRecord } from '../records.js';
import { summaryTextOf } from '../parse/plain-text.js';
import type { FeedItem } from '../types.js';

/** How many of a feed's latest items are kept for /preview and /why. */
const RECENT_ITEMS_PER_FEED = 50;
const SUMMARY_KEPT_CHARS = 4000;

/** The record to store after a successful parse: newest items first, summaries bounded. */
export function recentItemsRecord(items: FeedItem[], now: Date): RecentItemsRecord {
  return {
    items: items.slice(0, RECENT_ITEMS_PER_FEED).map(bounded),
    fetchedAt: now.toISOString(),
  };
}

function bounded(item: FeedItem): FeedItem {
  const text = item.summaryText;
  if (item.summaryHtml.length <= SUMMARY_KEPT_CHARS && (text === undefined || text.length <= SUMMARY_KEPT_CHARS)) return item;
  const out = { ...item, summaryHtml: item.summaryHtml.slice(0, SUMMARY_KEPT_CHARS) };
  if (text !== undefined) out.summaryText = text.slice(0, SUMMARY_KEPT_CHARS);
  return out;
}

export interface RecentEntry {
  feed: FeedRecord;
  item: FeedItem;
}

/** The latest items of the given feeds, newest first (items without a date after those with one). */
export async function recentItemsOf(store: Pick<FeedStore, 'feeds' | 'recent'>, feedUrls: string[]): Promise<RecentEntry[]> {
  const entries: RecentEntry[] = [];
  await Promise.all(
    feedUrls.map(async (url) => {
      const [feed, recent] = await Promise.all([store.feeds.get(url), store.recent.get(url)]);
      // Records stored before items carried their summary text get it computed here, once per read.
      if (feed && recent) for (const item of recent.items) entries.push({ feed, item: item.summaryText === undefined ? { ...item, summaryText: summaryTextOf(item) } : item });
    }),
  );
  const time = (e: RecentEntry) => (e.item.published ? Date.parse(e.item.published) || 0 : 0);
  return entries.sort((a, b) => time(b) - time(a));
}
