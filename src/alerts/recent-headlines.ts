// The headlines a channel was sent (or has queued) within the duplicate window: what a new item is compared with to
// post one story once per channel however many outlets carry it. Stored per channel, bounded; the helpers are pure.
import { headlineShingles, shingleSimilarity, type HeadlineShingles, SAME_STORY_THRESHOLD } from './headline-similarity.js';
import { mergeReporters, type Reporter } from './also-reported-by.js';

/** Headlines a channel remembers (the newest). */
export const MAX_RECENT_HEADLINES = 500;
/** Characters of a headline kept (what the comparison reads is shorter still). */
const MAX_TITLE = 300;

/** One alert a channel was sent or has queued. */
export interface RecentHeadline {
  title: string;
  feedUrl: string;
  /** The alert's outbox key: names it while it is queued. */
  outboxKey: string;
  /** Its story keys: in `posted` they lead to its message once it is sent. */
  storyKeys: string[];
  /** When it was queued (ISO). */
  at: string;
  /** Other outlets that carried the same story since, in arrival order (see mergeReporters). */
  reportedBy: Reporter[];
}

/** The value stored per channel. */
export interface ChannelHeadlines {
  headlines: RecentHeadline[];
}

// Shingles of headlines already seen: a channel's list is compared with every new item, so each title is tokenised
// once rather than once per comparison. Bounded; cleared when full (cheap to rebuild).
const SHINGLE_CACHE_SIZE = 5_000;
const shingleCache = new Map<string, HeadlineShingles>();

function shinglesOf(title: string): HeadlineShingles {
  let shingles = shingleCache.get(title);
  if (!shingles) {
    if (shingleCache.size >= SHINGLE_CACHE_SIZE) shingleCache.clear();
    shingles = headlineShingles(title);
    shingleCache.set(title, shingles);
  }
  return shingles;
}

function within(headline: RecentHeadline, now: Date, windowMs: number): boolean {
  const at = Date.parse(headline.at);
  return Number.isFinite(at) && now.getTime() - at < windowMs && at <= now.getTime() + 60_000;
}

/** The headline of the channel that tells the same story as `title` within the window (the closest), or null. */
export function findSameStory(list: ChannelHeadlines | undefined, title: string, now: Date, windowMs: number, threshold = SAME_STORY_THRESHOLD): RecentHeadline | null {
  if (!list) return null;
  const mine = headlineShingles(title);
  let best: RecentHeadline | null = null;
  let bestScore = threshold;
  for (const headline of list.headlines.slice(-MAX_RECENT_HEADLINES)) {
    if (!within(headline, now, windowMs)) continue;
    const score = shingleSimilarity(mine, shinglesOf(headline.title));
    if (score >= bestScore) {
      best = headline;
      bestScore = score;
    }
  }
  return best;
}

/** The list with `headline` added and what is out of the window or beyond the bound dropped. */
export function withHeadline(list: ChannelHeadlines | undefined, headline: RecentHeadline, now: Date, windowMs: number): ChannelHeadlines {
  const kept = (list?.headlines ?? []).filter((h) => within(h, now, windowMs));
  kept.push({ ...headline, title: headline.title.slice(0, MAX_TITLE) });
  return { headlines: kept.slice(-MAX_RECENT_HEADLINES) };
}

/** The list with `reporter` added to the headline queued under `outboxKey` (unchanged when already there). */
export function withReporter(list: ChannelHeadlines, outboxKey: string, reporter: Reporter): ChannelHeadlines {
  return { headlines: list.headlines.map((h) => (h.outboxKey === outboxKey ? { ...h, reportedBy: mergeReporters(h.reportedBy, [reporter]) } : h)) };
}
