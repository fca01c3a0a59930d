import type { SeenRecord } from '../records.js';
import type { FeedItem } from '../types.js';
import { looseUrlKey } from '../url/http-url.js';

/** Seen-sets hold several times a feed's length, so an item that drops out and comes back is still known. */
export const SEEN_MIN = 500;
const SEEN_FEED_MULTIPLE = 5;

export interface NewItemsResult {
  /** Items not seen before, oldest first. Empty on the first fetch of a feed (it only learns what exists). */
  newItems: FeedItem[];
  next: SeenRecord;
}

/** "Is this the feed's own site", loosely (see looseUrlKey). */
function sameSite(link: string, siteUrl: string): boolean {
  return looseUrlKey(link) === looseUrlKey(siteUrl);
}

/**
 * The links that identify an item in this fetch: those unique within the feed and not the feed's own site URL.
 * Podcast feeds often give every episode the show's page as `<link>`; such a link says nothing about which item it is.
 */
export function identifyingLinks(items: FeedItem[], siteUrl: string | null | undefined): Set<string> {
  const counts = new Map<string, number>();
  for (const item of items) if (item.link) counts.set(item.link, (counts.get(item.link) ?? 0) + 1);
  const result = new Set<string>();
  for (const [link, n] of counts) if (n === 1 && !(siteUrl && sameSite(link, siteUrl))) result.add(link);
  return result;
}

/**
 * Newness is by item id (never by date: a bumped pubDate or a feed where every item shares one timestamp must
 * neither re-post nor miss), plus the link where it identifies the item (see identifyingLinks), so a feed that
 * re-issues an item under a new id is not re-posted. `siteUrl` is the feed's own site (its channel link).
 */
export function findNewItems(seen: SeenRecord | undefined, items: FeedItem[], siteUrl?: string | null): NewItemsResult {
  const cap = Math.max(SEEN_MIN, items.length * SEEN_FEED_MULTIPLE);
  const ids = new Set(seen?.ids ?? []);
  const links = new Set(seen?.links ?? []);
  const identifying = identifyingLinks(items, siteUrl);
  const fresh: Array<{ item: FeedItem; position: number }> = [];
  const batchIds = new Set<string>();
  const batchLinks = new Set<string>();

  items.forEach((item, position) => {
    if (ids.has(item.id) || batchIds.has(item.id)) return;
    batchIds.add(item.id);
    const link = item.link !== null && identifying.has(item.link) ? item.link : null;
    if (link) batchLinks.add(link);
    if (link === null || !links.has(link)) fresh.push({ item, position });
  });

  const next: SeenRecord = {
    ids: appendBounded(seen?.ids ?? [], [...batchIds], cap),
    links: appendBounded(seen?.links ?? [], [...batchLinks].filter((l) => !links.has(l)), cap),
  };
  if (!seen) return { newItems: [], next };

  // Oldest first: by date where both have one, else by reverse feed order (feeds list newest first).
  fresh.sort((a, b) => {
    const ta = a.item.published ? Date.parse(a.item.published) : NaN;
    const tb = b.item.published ? Date.parse(b.item.published) : NaN;
    if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
    return b.position - a.position;
  });
  return { newItems: fresh.map((f) => f.item), next };
}

function appendBounded(existing: string[], added: string[], cap: number): string[] {
  const all = added.length ? existing.concat(added) : existing;
  return all.length > cap ? all.slice(all.length - cap) : all;
}
