// Article summaries when the feed has none: an item whose own text is missing or shorter than one sentence gets the
// lead of its article page (and the page's share image when it has none). Called only for items that matched a
// subscription (AlertService.compose): matching stays on the feed's own text.
import type { Logger } from '../../log.js';
import { createFetcher, type FetcherOptions } from '../fetch/fetcher.js';
import type { ArticleExtractor } from '../parse/pool.js';
import { summaryTextOf } from '../parse/plain-text.js';
import type { FeedItem } from '../types.js';
import { ArticleFetcher, ARTICLE_FETCH_LIMITS } from './article-fetcher.js';
import { wordCount } from './furniture.js';
import type { ArticleCache } from './records.js';

/** A sentence: at least this many words, ending in a full stop, question or exclamation mark. */
const SENTENCE_MIN_WORDS = 6;
const SENTENCE_END = /[.!?。！？…]["”'’»)\]]?(?:\s|$)/u;

/**
 * True when an item's own text does not hold one sentence: empty, a tracking pixel's nothing, a repeat of the
 * headline, "Comments", a few words without a stop.
 */
export function needsArticle(text: string, title: string): boolean {
  let body = text.replace(/\s+/g, ' ').trim();
  const headline = title.replace(/\s+/g, ' ').trim();
  if (headline && body.toLowerCase().startsWith(headline.toLowerCase())) body = body.slice(headline.length).replace(/^[\s.:;,–—-]+/, '');
  const words = wordCount(body);
  if (words < SENTENCE_MIN_WORDS) return true;
  return !SENTENCE_END.test(body) && words < 20;
}

export interface ArticleSummariesDeps {
  /** null when FETCH_ARTICLES is off: every item passes through unchanged. */
  articles: Pick<ArticleFetcher, 'lead'> | null;
  log: Logger;
}

/** Where an item comes from, for the one log line a failure writes. */
export interface EnrichContext {
  feed?: string;
}

export class ArticleSummaries {
  constructor(private readonly deps: ArticleSummariesDeps) {}

  /** The item with its summary (and image) from the article page when that helps; the item itself otherwise. Never throws. */
  async enrich(item: FeedItem, context: EnrichContext = {}): Promise<FeedItem> {
    return (await this.complete(item, context)).item;
  }

  /**
   * enrich, and why the page was not used when it was wanted (`herald check` prints it); `problem` is absent when the
   * item needed no page or the page helped. Never throws.
   */
  async complete(item: FeedItem, context: EnrichContext = {}): Promise<{ item: FeedItem; problem?: string }> {
    const articles = this.deps.articles;
    if (!articles || !item.link) return { item };
    try {
      if (!needsArticle(summaryTextOf(item), item.title)) return { item };
      const lead = await articles.lead(item.link);
      if (lead.kind === 'skipped') {
        this.deps.log.info({ event: 'article.skipped', feed: context.feed, link: item.link, item: item.id, reason: lead.reason }, 'article page not read; the alert keeps the feed text');
        return { item, problem: lead.reason };
      }
      const { record } = lead;
      if (record.error) {
        // a cached failure was logged when it happened
        if (!lead.cached) this.deps.log.warn({ event: 'article.failed', feed: context.feed, link: item.link, item: item.id, error: record.error }, 'could not read the article page; the alert keeps the feed text');
        return { item, problem: record.error };
      }
      const text = record.text && !needsArticle(record.text, item.title) ? record.text : null;
      const image = item.image ?? record.image;
      if (!text && image === item.image) return { item, problem: 'the page holds no story text' };
      this.deps.log.debug({ event: 'article.used', feed: context.feed, link: item.link, item: item.id, cached: lead.cached, text: Boolean(text), image: image !== item.image }, 'the alert takes its summary from the article page');
      return { item: { ...item, ...(text ? { summaryText: text } : {}), image } };
    } catch (error) {
      this.deps.log.warn({ event: 'article.failed', feed: context.feed, link: item.link, item: item.id, error: String(error) }, 'could not read the article page; the alert keeps the feed text');
      return { item, problem: String(error) };
    }
  }
}

export interface ArticleSummariesOptions {
  /** FETCH_ARTICLES. */
  enabled: boolean;
  /** The options of Herald's other fetchers (user agent, private addresses, DNS); ARTICLE_FETCH_LIMITS override them. */
  fetcherOptions: FetcherOptions;
  extract: ArticleExtractor;
  cache: ArticleCache;
  clock: () => Date;
  log: Logger;
  /** SUMMARY_MAX_CHARS. */
  maxChars: number;
}

/** Article summaries with their own fetcher, as the bot and `herald check` run them; close() ends the fetcher. */
export function createArticleSummaries(options: ArticleSummariesOptions): { summaries: ArticleSummaries; close(): Promise<void> } {
  if (!options.enabled) return { summaries: new ArticleSummaries({ articles: null, log: options.log }), close: async () => {} };
  const fetcher = createFetcher({ ...options.fetcherOptions, ...ARTICLE_FETCH_LIMITS });
  const articles = new ArticleFetcher({ fetcher, extract: options.extract, cache: options.cache, clock: options.clock, log: options.log, maxChars: options.maxChars });
  return { summaries: new ArticleSummaries({ articles, log: options.log }), close: () => fetcher.close() };
}
