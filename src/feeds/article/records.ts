import type { Collection } from '../../store/store.js';

/** What an article page gave, cached per canonical link (a failure too, briefly, so a broken page isn't refetched). */
export interface ArticleRecord {
  /** The lead text ('' when the page had none or the fetch failed). */
  text: string;
  /** The page's share image (absolute http(s)), or null. */
  image: string | null;
  fetchedAt: string;
  /** Why it failed (one plain line), when it did. */
  error?: string;
}

/** The collection the article summaries keep (one store namespace; assembled in src/repositories.ts). */
export interface ArticleStore {
  /** Canonical article link → what its page gave. Entries expire (ARTICLE_CACHE_TTL_MS, failures sooner). */
  articles: Collection<ArticleRecord>;
}

/** The part of a collection the article cache uses: the store's, or memoryArticleCache for tools without a store. */
export type ArticleCache = Pick<Collection<ArticleRecord>, 'get' | 'set'>;

/** A bounded in-memory cache (oldest dropped first), for `herald check` and tests. */
export function memoryArticleCache(maxEntries = 500, now: () => number = Date.now): ArticleCache {
  const entries = new Map<string, { value: ArticleRecord; expires: number }>();
  return {
    async get(key) {
      const hit = entries.get(key);
      if (!hit) return undefined;
      if (hit.expires <= now()) {
        entries.delete(key);
        return undefined;
      }
      return hit.value;
    },
    async set(key, value, ttlMs) {
      entries.delete(key);
      entries.set(key, { value, expires: ttlMs ? now() + ttlMs : Number.POSITIVE_INFINITY });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}
