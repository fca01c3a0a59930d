import type { LookupFunction } from 'node:net';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ARTICLE_FAILURE_TTL_MS, ARTICLE_FETCH_LIMITS } from '../../../src/feeds/article/article-fetcher.js';
import { createArticleSummaries, needsArticle } from '../../../src/feeds/article/article-summaries.js';
import { memoryArticleCache, type ArticleCache } from '../../../src/feeds/article/records.js';
import { inThreadArticleExtractor, type ArticleExtractor } from '../../../src/feeds/parse/pool.js';
import type { FeedItem } from '../../../src/feeds/types.js';
import { PassThrough } from 'node:stream';
import { createLogger, silentLogger } from '../../../src/log.js';
import { startFeedServer, type FeedServer } from '../../harness/feed-server.js';
import { until } from '../../harness/until.js';

const LEAD = 'The council approved the new bridge on Monday after three years of argument.';
const page = (lead = LEAD) => `<!doctype html><html><head><meta property="og:image" content="/img/bridge.jpg"></head><body>
  <nav>Home News Sport</nav><article><h1>Bridge approved</h1><p>By Ann Lee</p>
  <p>${lead} Work starts in the spring.</p><p>The vote was 7 to 2, with two members absent.</p>
  <p>Opponents said they would take the decision to court before the summer recess begins.</p></article></body></html>`;

/** Every *.articles.internal name → the local server (the fetcher's per-host budget counts host names). */
const looked: string[] = [];
const lookup = ((hostname: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
  looked.push(hostname);
  if (!hostname.endsWith('.articles.internal') && hostname !== '127.0.0.1') {
    const e = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException;
    e.code = 'ENOTFOUND';
    return setImmediate(() => cb(e));
  }
  setImmediate(() => (options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
}) as unknown as LookupFunction;

let srv: FeedServer;
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  srv = await startFeedServer();
});
afterAll(() => srv.close());
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function summaries(opts: { enabled?: boolean; cache?: ArticleCache; extract?: ArticleExtractor; clock?: () => Date } = {}) {
  const built = createArticleSummaries({
    enabled: opts.enabled ?? true,
    fetcherOptions: { userAgent: 'HeraldTest/1', allowPrivateAddresses: true, lookup },
    extract: opts.extract ?? inThreadArticleExtractor,
    cache: opts.cache ?? memoryArticleCache(),
    clock: opts.clock ?? (() => new Date('2026-01-01T00:00:00Z')),
    log: silentLogger,
    maxChars: 400,
  });
  closers.push(built.close);
  return built.summaries;
}

const item = (link: string, over: Partial<FeedItem> = {}): FeedItem => ({
  id: link, link, title: 'Bridge approved', summaryHtml: '', summaryText: '', author: null, categories: [], image: null, published: null, ...over,
});
const at = (host: string, path: string) => srv.url(path).replace('127.0.0.1', host);

describe('needsArticle: the item has no sentence of its own', () => {
  it('empty, the headline again, a few words, "Comments" → fetch; a real sentence → no fetch', () => {
    expect(needsArticle('', 'T')).toBe(true);
    expect(needsArticle('Bridge approved', 'Bridge approved')).toBe(true);
    expect(needsArticle('Comments', 'Bridge approved')).toBe(true);
    expect(needsArticle('Bridge approved. Read more', 'Bridge approved')).toBe(true);
    expect(needsArticle(LEAD, 'Bridge approved')).toBe(false);
    expect(needsArticle(`Bridge approved ${LEAD}`, 'Bridge approved')).toBe(false);
  });
});

describe('ArticleSummaries over a local server', () => {
  it('fills summary and image from the page; a second call for the same link is served from the cache', async () => {
    srv.set('/a/one', page(), { contentType: 'text/html; charset=utf-8' });
    const s = summaries();
    const out = await s.enrich(item(srv.url('/a/one')));
    expect(out.summaryText?.startsWith(LEAD)).toBe(true);
    expect(out.image).toBe(srv.url('/img/bridge.jpg'));
    const again = await s.enrich(item(srv.url('/a/one')));
    expect(again.summaryText).toBe(out.summaryText);
    expect(srv.hits('/a/one')).toBe(1);
  });

  it('an item with its own summary, or with an image, keeps them: no request for the first', async () => {
    srv.set('/a/own', page(), { contentType: 'text/html' });
    const s = summaries();
    const own = item(srv.url('/a/own'), { summaryText: 'The mayor said the bridge would open in 2028, a year later than planned.' });
    expect(await s.enrich(own)).toBe(own);
    expect(srv.hits('/a/own')).toBe(0);
    const withImage = await s.enrich(item(srv.url('/a/own'), { image: 'https://cdn.example/feed.jpg' }));
    expect(withImage.image).toBe('https://cdn.example/feed.jpg');
    expect(withImage.summaryText?.startsWith(LEAD)).toBe(true);
  });

  it('FETCH_ARTICLES=false: no request at all', async () => {
    srv.set('/a/off', page(), { contentType: 'text/html' });
    const it0 = item(srv.url('/a/off'));
    expect(await summaries({ enabled: false }).enrich(it0)).toBe(it0);
    expect(srv.hits('/a/off')).toBe(0);
  });

  it('refuses what is not HTML without extracting it', async () => {
    srv.set('/a/file.pdf', '%PDF-1.4 not a page', { contentType: 'application/pdf' });
    let extracted = 0;
    const s = summaries({ extract: async (body, opts) => (extracted++, inThreadArticleExtractor(body, opts)) });
    const it0 = item(srv.url('/a/file.pdf'));
    expect(await s.enrich(it0)).toBe(it0);
    expect(srv.hits('/a/file.pdf')).toBe(1);
    expect(extracted).toBe(0);
  });

  it('a page past the byte cap is cut off and the item kept as it is', async () => {
    const huge = page().replace('</body>', `<p>${'x'.repeat(ARTICLE_FETCH_LIMITS.maxBytes)}</p></body>`);
    srv.set('/a/huge', huge, { contentType: 'text/html' });
    let extracted = 0;
    const s = summaries({ extract: async (body, opts) => (extracted++, inThreadArticleExtractor(body, opts)) });
    const it0 = item(srv.url('/a/huge'));
    expect(await s.enrich(it0)).toBe(it0);
    expect(extracted).toBe(0);
  });

  it('a failure is cached briefly: not refetched at once, refetched once it expires', async () => {
    srv.set('/a/broken', 'oops', { contentType: 'text/html', status: 500 });
    let now = Date.parse('2026-01-01T00:00:00Z');
    const cache = memoryArticleCache(100, () => now);
    const s = summaries({ cache });
    const it0 = item(srv.url('/a/broken'));
    expect(await s.enrich(it0)).toBe(it0);
    expect(await s.enrich(it0)).toBe(it0);
    expect(srv.hits('/a/broken')).toBe(1);
    now += ARTICLE_FAILURE_TTL_MS + 1;
    srv.set('/a/broken', page(), { contentType: 'text/html' });
    expect((await s.enrich(it0)).summaryText?.startsWith(LEAD)).toBe(true);
    expect(srv.hits('/a/broken')).toBe(2);
  });

  it('links on reserved names (.example, .test, .invalid) are never fetched nor looked up', async () => {
    for (const link of ['https://news.example/story', 'http://site.test/a', 'https://x.invalid/']) {
      const it0 = item(link);
      expect(await summaries().enrich(it0)).toBe(it0);
    }
    expect(looked.filter((name) => /\.(?:example|test|invalid)$/.test(name))).toEqual([]);
  });

  it('a site that does not answer is skipped for a while: one failed connection per site, not one per item', async () => {
    const { createServer } = await import('node:net');
    // a port with nothing listening: connection refused
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = summaries({ clock: () => new Date(now) });
    const before = looked.length;
    const down = (n: number) => item(`http://down.articles.internal:${port}/story-${n}`);
    expect(await s.enrich(down(1))).toEqual(down(1));
    const tried = looked.length - before;
    expect(tried).toBeGreaterThan(0);
    expect(await s.enrich(down(2))).toEqual(down(2));
    expect(looked.length - before).toBe(tried); // the second page of that site was not even looked up
    now += ARTICLE_FAILURE_TTL_MS + 1;
    await s.enrich(down(3));
    expect(looked.length - before).toBeGreaterThan(tried);
  });

  it('a failure writes one structured log line naming the feed and the link, and none when served from the cache', async () => {
    srv.set('/a/gone', 'gone', { contentType: 'text/html', status: 404 });
    const sink = new PassThrough();
    const lines: string[] = [];
    sink.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const built = createArticleSummaries({ enabled: true, fetcherOptions: { userAgent: 'HeraldTest/1', allowPrivateAddresses: true, lookup }, extract: inThreadArticleExtractor, cache: memoryArticleCache(), clock: () => new Date(), log: createLogger('info', sink), maxChars: 400 });
    closers.push(built.close);
    const it0 = item(srv.url('/a/gone'));
    await built.summaries.enrich(it0, { feed: 'https://news.example/feed.xml' });
    await built.summaries.enrich(it0, { feed: 'https://news.example/feed.xml' });
    await until(() => lines.length > 0, 'the log line');
    const failures = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === 'article.failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ feed: 'https://news.example/feed.xml', link: srv.url('/a/gone') });
    expect(String(failures[0]!.error)).toMatch(/404/);
  });

  it('an extractor that throws never reaches the caller', async () => {
    srv.set('/a/throws', page(), { contentType: 'text/html' });
    const it0 = item(srv.url('/a/throws'));
    const s = summaries({ extract: async () => { throw new Error('boom'); } });
    expect(await s.enrich(it0)).toBe(it0);
  });

  it('its own budget: at most 4 pages at a time, 2 per site', async () => {
    const held: ServerResponse[] = [];
    let inFlight = 0;
    let most = 0;
    const perHost = new Map<string, number>();
    let mostPerHost = 0;
    for (let i = 0; i < 9; i++) {
      srv.handle(`/slow/${i}`, (req, res) => {
        const host = String(req.headers.host).split(':')[0]!;
        inFlight++;
        perHost.set(host, (perHost.get(host) ?? 0) + 1);
        most = Math.max(most, inFlight);
        mostPerHost = Math.max(mostPerHost, perHost.get(host)!);
        res.on('close', () => {
          inFlight--;
          perHost.set(host, perHost.get(host)! - 1);
        });
        held.push(res);
      });
    }
    const s = summaries();
    // three sites, three pages each
    const items = Array.from({ length: 9 }, (_, i) => item(at(`site${i % 3}.articles.internal`, `/slow/${i}`)));
    const done = Promise.all(items.map((it0) => s.enrich(it0)));
    let answered = 0;
    while (answered < 9) {
      await until(() => held.length > 0, 'a held article request');
      if (answered === 0) await until(() => inFlight === 4, 'four article requests in flight');
      const res = held.shift()!;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page());
      answered++;
    }
    const out = await done;
    expect(out.every((o) => o.summaryText?.startsWith(LEAD))).toBe(true);
    expect(most).toBe(ARTICLE_FETCH_LIMITS.maxConcurrent);
    expect(mostPerHost).toBeLessThanOrEqual(ARTICLE_FETCH_LIMITS.maxPerHost);
  });
});
