// An article page's lead, fetched once per canonical link: through its own guarded fetcher (its own budget, timeout
// and byte cap, so article pages never take the slots feed polling needs), extracted in a parse worker, cached in the
// store. Failures are answers too (cached briefly); nothing here throws.
import type { Logger } from '../../log.js';
import type { Fetcher, FetcherOptions } from '../fetch/fetcher.js';
import { FetchError } from '../fetch/fetch-error.js';
import type { ArticleExtractor } from '../parse/pool.js';
import { parseHttpUrl } from '../url/http-url.js';
import type { ArticleCache, ArticleRecord } from './records.js';

/** The article fetcher's own limits: a few pages at a time, one or two per site, small pages, a short wait. */
export const ARTICLE_FETCH_LIMITS = {
  maxConcurrent: 4,
  maxPerHost: 2,
  timeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  maxBytes: 2 * 1024 * 1024,
  maxRedirects: 5,
} as const satisfies Partial<FetcherOptions>;

export const ARTICLE_CACHE_TTL_MS = 7 * 24 * 60 * 60_000;
export const ARTICLE_FAILURE_TTL_MS = 30 * 60_000;
const MAX_ERROR_CHARS = 200;
const MAX_IMAGE_CHARS = 2048;

export interface ArticleFetcherDeps {
  /** A fetcher of its own (see ARTICLE_FETCH_LIMITS), never the polling one. */
  fetcher: Fetcher;
  /** Runs extract.ts off the main thread (ParsePool.article). */
  extract: ArticleExtractor;
  cache: ArticleCache;
  clock: () => Date;
  log: Logger;
  /** Lead text to keep (the alert summary's length, SUMMARY_MAX_CHARS). */
  maxChars: number;
  ttlMs?: number;
  failureTtlMs?: number;
  /** Pages waiting for a fetch slot beyond this are skipped (the item keeps its own text). Default 64. */
  maxPending?: number;
}

/** A page's answer: the cached or fresh record, or why there is none (not cached: busy, not a web address). */
export type ArticleLead = { kind: 'page'; record: ArticleRecord; cached: boolean } | { kind: 'skipped'; reason: string };

/** Names that never resolve on the public internet (RFC 2606, RFC 6761): no page to fetch, no DNS query to make. */
const RESERVED_NAME = /(?:^|\.)(?:example|invalid|test)\.?$/i;

/** Only HTML pages are read: a PDF, a video or a feed behind an item's link is not an article. */
function isHtml(contentType: string | null, body: Buffer): boolean {
  if (contentType) return /^\s*(?:text\/html|application\/xhtml\+xml)\b/i.test(contentType);
  // no Content-Type: look at the first bytes, as a browser would
  return /^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b/i.test(body.subarray(0, 1024).toString('latin1'));
}

/** Failures that say the site itself is unreachable, not just this page. */
const SITE_DOWN_CODES = new Set(['timeout', 'network', 'dns', 'blocked-address']);
const MAX_SITES_REMEMBERED = 1000;

export class ArticleFetcher {
  private readonly inFlight = new Map<string, Promise<ArticleLead>>();
  private pending = 0;
  /** Host → until when it is skipped: one timeout per site per failure TTL, not one per item (items wait on us). */
  private readonly sitesDown = new Map<string, number>();

  constructor(private readonly deps: ArticleFetcherDeps) {}

  /** The lead of the page at `link` (a canonical article link). Never rejects. */
  lead(link: string): Promise<ArticleLead> {
    const url = parseHttpUrl(link);
    if (!url) return Promise.resolve({ kind: 'skipped', reason: 'not an http(s) link' });
    if (RESERVED_NAME.test(url.hostname)) return Promise.resolve({ kind: 'skipped', reason: 'a reserved host name (.example, .test, .invalid)' });
    const downUntil = this.sitesDown.get(url.hostname);
    if (downUntil !== undefined) {
      if (downUntil > this.deps.clock().getTime()) return Promise.resolve({ kind: 'skipped', reason: 'the site did not answer a moment ago' });
      this.sitesDown.delete(url.hostname);
    }
    const key = url.href;
    // the same story from several feeds at once: one fetch
    const running = this.inFlight.get(key);
    if (running) return running;
    if (this.pending >= (this.deps.maxPending ?? 64)) return Promise.resolve({ kind: 'skipped', reason: 'too many article pages waiting' });
    this.pending++;
    const work = this.load(key).finally(() => {
      this.pending--;
      this.inFlight.delete(key);
    });
    this.inFlight.set(key, work);
    return work;
  }

  private async load(url: string): Promise<ArticleLead> {
    try {
      const hit = await this.deps.cache.get(url);
      if (hit) return { kind: 'page', record: hit, cached: true };
    } catch (error) {
      this.deps.log.warn({ event: 'article.cache_failed', link: url, error: String(error) }, 'could not read the article cache; fetching the page');
    }
    const record = await this.fetchAndExtract(url);
    try {
      await this.deps.cache.set(url, record, record.error ? (this.deps.failureTtlMs ?? ARTICLE_FAILURE_TTL_MS) : (this.deps.ttlMs ?? ARTICLE_CACHE_TTL_MS));
    } catch (error) {
      this.deps.log.warn({ event: 'article.cache_failed', link: url, error: String(error) }, 'could not cache the article page');
    }
    return { kind: 'page', record, cached: false };
  }

  private markSiteDown(host: string): void {
    this.sitesDown.delete(host);
    this.sitesDown.set(host, this.deps.clock().getTime() + (this.deps.failureTtlMs ?? ARTICLE_FAILURE_TTL_MS));
    while (this.sitesDown.size > MAX_SITES_REMEMBERED) this.sitesDown.delete(this.sitesDown.keys().next().value!);
  }

  private async fetchAndExtract(url: string): Promise<ArticleRecord> {
    const fetchedAt = this.deps.clock().toISOString();
    const failed = (error: string): ArticleRecord => ({ text: '', image: null, fetchedAt, error: error.slice(0, MAX_ERROR_CHARS) });
    let outcome;
    try {
      outcome = await this.deps.fetcher.fetch({ url });
    } catch (error) {
      if (error instanceof FetchError && SITE_DOWN_CODES.has(error.code)) this.markSiteDown(new URL(url).hostname);
      return failed(error instanceof FetchError ? `${error.code}: ${error.message}` : `fetch failed: ${String(error)}`);
    }
    if (outcome.kind !== 'ok') return failed('the page answered 304 Not Modified to a plain request');
    if (!isHtml(outcome.contentType, outcome.body)) return failed(`not an HTML page (${(outcome.contentType ?? 'no content type').slice(0, 80)})`);
    const extracted = await this.deps.extract(outcome.body, { contentType: outcome.contentType, url: outcome.finalUrl, maxChars: this.deps.maxChars });
    if (!extracted.ok) return failed(extracted.reason);
    // bounded before it is stored: a lead is a few sentences, an image one address
    const text = extracted.text.slice(0, this.deps.maxChars * 2);
    const image = extracted.image && extracted.image.length <= MAX_IMAGE_CHARS ? extracted.image : null;
    return { text, image, fetchedAt };
  }
}
