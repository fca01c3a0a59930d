import type { RecentItemsRecord } from '../store/records.js';
import type { FeedItem } from './types.js';

/** How many of a feed's latest items are kept for /preview and /why. */
export const RECENT_ITEMS_PER_FEED = 50;
const SUMMARY_KEPT_CHARS = 4000;

/** The record to store after a successful parse: newest items first, summaries bounded. */
export function recentItemsRecord(items: FeedItem[], now: Date): RecentItemsRecord {
  return {
    items: items.slice(0, RECENT_ITEMS_PER_FEED).map((item) =>
      item.summaryHtml.length > SUMMARY_KEPT_CHARS ? { ...item, summaryHtml: item.summaryHtml.slice(0, SUMMARY_KEPT_CHARS) } : item,
    ),
    fetchedAt: now.toISOString(),
  };
}
