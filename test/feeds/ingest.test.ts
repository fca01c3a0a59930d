// ingest (fetch → parse, as a value) and commitIngested (the writes after a parse), against a canned fetcher, the
// in-thread parsers and an in-memory store.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FetchError } from '../../src/feeds/fetch/fetch-error.js';
import type { FetchOutcome, Fetcher, FetchRequest } from '../../src/feeds/fetch/fetcher.js';
import { commitIngested, ingest } from '../../src/feeds/ingest.js';
import type { FeedParser, ParseOptions } from '../../src/feeds/parse/feed.js';
import { inThreadParsers } from '../../src/feeds/parse/pool.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import { findNewItems } from '../../src/feeds/poll/seen.js';
import type { FeedRecord, SeenRecord } from '../../src/feeds/records.js';
import type { ParsedFeed } from '../../src/feeds/types.js';
import { openStore, type Store } from '../../src/repositories.js';
import { rssFeed } from '../harness/feed-server.js';

const FEED_URL = 'https://news.example/feed.xml';
const FINAL_URL = 'https://news.example/moved/feed.xml';
const RSS = rssFeed({
  title: 'Example News',
  link: 'https://news.example/',
  items: [
    { title: 'Second story', guid: 'story-2', link: 'https://news.example/2', pubDate: 'Tue, 01 Dec 2026 10:00:00 GMT' },
    { title: 'First story', guid: 'story-1', link: 'https://news.example/1', pubDate: 'Mon, 30 Nov 2026 10:00:00 GMT' },
  ],
});

const sha1 = (body: string | Buffer) => createHash('sha1').update(body).digest('base64');

const ok = (body: string, extra: Partial<Extract<FetchOutcome, { kind: 'ok' }>> = {}): FetchOutcome => ({
  kind: 'ok',
  status: 200,
  body: Buffer.from(body),
  contentType: 'application/rss+xml; charset=utf-8',
  etag: '"v2"',
  lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT',
  finalUrl: FINAL_URL,
  maxAgeSeconds: 300,
  ...extra,
});

/** A fetcher that gives one canned answer (or throws it) and records every request. */
function cannedFetcher(answer: FetchOutcome | Error) {
  const requests: FetchRequest[] = [];
  const fetcher: Fetcher = {
    async fetch(req) {
      requests.push(req);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async close() {},
  };
  return { fetcher, requests };
}

/** The in-thread parser, counting calls and keeping what it was asked with. */
function countingParser() {
  const calls: Array<{ body: string; opts: ParseOptions }> = [];
  const parse: FeedParser = (body, opts) => {
    calls.push({ body: Buffer.from(body).toString('utf8'), opts });
    return inThreadParsers.parse(body, opts);
  };
  return { parse, calls };
}

describe('ingest', () => {
  it('returns not-modified on a 304 without parsing, and sends the validators but not knownBodyHash', async () => {
    const outcome: FetchOutcome = { kind: 'not-modified', etag: '"v1"', lastModified: null, finalUrl: FEED_URL, maxAgeSeconds: 60 };
    const { fetcher, requests } = cannedFetcher(outcome);
    const { parse, calls } = countingParser();
    const result = await ingest(fetcher, parse, { url: FEED_URL, etag: '"v1"', lastModified: 'Mon, 30 Nov 2026 10:00:00 GMT', knownBodyHash: 'abc' });
    expect(result).toEqual({ kind: 'not-modified', fetched: outcome });
    expect(calls).toHaveLength(0);
    expect(requests).toEqual([{ url: FEED_URL, etag: '"v1"', lastModified: 'Mon, 30 Nov 2026 10:00:00 GMT' }]);
    expect(requests[0]).not.toHaveProperty('knownBodyHash');
  });

  it('returns same-body without parsing when the body hash matches knownBodyHash', async () => {
    const { fetcher } = cannedFetcher(ok(RSS));
    const { parse, calls } = countingParser();
    const result = await ingest(fetcher, parse, { url: FEED_URL, knownBodyHash: sha1(RSS) });
    expect(result.kind).toBe('same-body');
    if (result.kind !== 'same-body') return;
    expect(result.bodyHash).toBe(sha1(RSS));
    expect(result.fetched.finalUrl).toBe(FINAL_URL);
    expect(calls).toHaveLength(0);
  });

  it('parses when the known hash differs (or is null), with the content type and the final URL', async () => {
    for (const knownBodyHash of [sha1('something else'), null, undefined]) {
      const { fetcher } = cannedFetcher(ok(RSS));
      const { parse, calls } = countingParser();
      const result = await ingest(fetcher, parse, { url: FEED_URL, knownBodyHash });
      expect(result.kind).toBe('parsed');
      if (result.kind !== 'parsed') return;
      expect(result.bodyHash).toBe(sha1(RSS));
      expect(result.encoding.toLowerCase()).toBe('utf-8');
      expect(result.feed.title).toBe('Example News');
      expect(result.feed.siteUrl).toBe('https://news.example/');
      expect(result.feed.items.map((i) => i.id)).toEqual(['story-2', 'story-1']);
      expect(result.fetched.etag).toBe('"v2"');
      expect(calls).toHaveLength(1);
      expect(calls[0]!.opts).toMatchObject({ contentType: 'application/rss+xml; charset=utf-8', url: FINAL_URL });
    }
  });

  it('returns unparsed with the parser error (html-page for a web page), keeping the body hash', async () => {
    const html = '<!doctype html><html><head><title>Home</title></head><body><p>Hello</p></body></html>';
    const { fetcher } = cannedFetcher(ok(html, { contentType: 'text/html; charset=utf-8' }));
    const result = await ingest(fetcher, inThreadParsers.parse, { url: FEED_URL });
    expect(result.kind).toBe('unparsed');
    if (result.kind !== 'unparsed') return;
    expect(result.error.code).toBe('html-page');
    expect(result.error.message).toBe('this URL returned an HTML page, not a feed');
    expect(result.bodyHash).toBe(sha1(html));
    expect(result.fetched.body.toString('utf8')).toBe(html);
  });

  it('returns unparsed for bytes that are no feed at all', async () => {
    const { fetcher } = cannedFetcher(ok('just some words, not xml', { contentType: 'text/plain' }));
    const result = await ingest(fetcher, inThreadParsers.parse, { url: FEED_URL });
    expect(result.kind).toBe('unparsed');
    if (result.kind !== 'unparsed') return;
    expect(result.error.code).not.toBe('html-page');
    expect(result.error.message.length).toBeGreaterThan(0);
  });

  it("rejects with the fetcher's FetchError, unchanged", async () => {
    const error = new FetchError('http-status', 'the feed answered 404 Not Found', FEED_URL, { status: 404 });
    const { fetcher } = cannedFetcher(error);
    const { parse, calls } = countingParser();
    await expect(ingest(fetcher, parse, { url: FEED_URL })).rejects.toBe(error);
    expect(calls).toHaveLength(0);
  });
});

describe('commitIngested', () => {
  let store: Store;
  const now = new Date('2026-12-01T12:00:00.000Z');

  beforeEach(async () => {
    store = await openStore('memory://');
  });
  afterEach(async () => {
    await store.close();
  });

  async function parsed(body: string): Promise<ParsedFeed> {
    const result = await inThreadParsers.parse(Buffer.from(body), { contentType: 'application/rss+xml', url: FEED_URL });
    if (!result.ok) throw new Error(`fixture did not parse: ${result.error.message}`);
    return result.feed;
  }

  it('on a first fetch writes the seen-set, the recent items and the feed record', async () => {
    const feed = await parsed(RSS);
    const seen = findNewItems(undefined, feed.items, feed.siteUrl);
    expect(seen.newItems).toEqual([]);
    const record: FeedRecord = { ...blankFeedRecord(FEED_URL, feed.title, feed.siteUrl, now), etag: '"v2"', bodyHash: sha1(RSS) };
    await commitIngested(store, FEED_URL, feed, seen.next, record, now);

    expect(await store.seen.get(FEED_URL)).toEqual({ ids: ['story-2', 'story-1'], links: ['https://news.example/2', 'https://news.example/1'] });
    const recent = await store.recent.get(FEED_URL);
    expect(recent?.fetchedAt).toBe(now.toISOString());
    expect(recent?.items.map((i) => i.title)).toEqual(['Second story', 'First story']);
    expect(await store.feeds.get(FEED_URL)).toEqual(record);
  });

  it('writes in the order a crash tolerates: seen, then recent, then the feed record', async () => {
    const feed = await parsed(RSS);
    const order: string[] = [];
    const recording = <T>(name: string, c: Store['feeds'] | Store['seen'] | Store['recent']) =>
      ({ ...c, get: c.get.bind(c), set: async (key: string, value: T) => {
        order.push(`${name}:${key}`);
        await (c.set as (k: string, v: T) => Promise<void>)(key, value);
      } }) as never;
    const seenRecord: SeenRecord = { ids: ['x'], links: [] };
    await commitIngested(
      { seen: recording('seen', store.seen), recent: recording('recent', store.recent), feeds: recording('feeds', store.feeds) },
      FEED_URL, feed, seenRecord, blankFeedRecord(FEED_URL, feed.title, feed.siteUrl, now), now,
    );
    expect(order).toEqual([`seen:${FEED_URL}`, `recent:${FEED_URL}`, `feeds:${FEED_URL}`]);
  });

  it('keeps at most 50 recent items, newest (first in the feed) kept, and bounds long summaries', async () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ title: `Story ${i}`, guid: `s${i}`, description: i === 0 ? 'x'.repeat(10_000) : 'short' }));
    const feed = await parsed(rssFeed({ title: 'Many', items }));
    await commitIngested(store, FEED_URL, feed, findNewItems(undefined, feed.items).next, blankFeedRecord(FEED_URL, feed.title, null, now), now);
    const recent = await store.recent.get(FEED_URL);
    expect(recent?.items).toHaveLength(50);
    expect(recent?.items[0]!.id).toBe('s0');
    expect(recent?.items[49]!.id).toBe('s49');
    expect(recent?.items[0]!.summaryHtml.length).toBe(4000);
    // the seen-set knows every item, not just the 50 kept for /preview
    expect((await store.seen.get(FEED_URL))?.ids).toHaveLength(60);
  });

  it('a second commit replaces the seen-set, recent items and record (no merge left to the store)', async () => {
    const first = await parsed(RSS);
    const seen1 = findNewItems(undefined, first.items, first.siteUrl).next;
    await commitIngested(store, FEED_URL, first, seen1, blankFeedRecord(FEED_URL, first.title, first.siteUrl, now), now);
    const second = await parsed(rssFeed({ title: 'Example News', link: 'https://news.example/', items: [{ title: 'Third story', guid: 'story-3', link: 'https://news.example/3' }] }));
    const found = findNewItems(await store.seen.get(FEED_URL), second.items, second.siteUrl);
    expect(found.newItems.map((i) => i.id)).toEqual(['story-3']);
    const later = new Date(now.getTime() + 60_000);
    await commitIngested(store, FEED_URL, second, found.next, { ...blankFeedRecord(FEED_URL, second.title, second.siteUrl, now), lastSuccessAt: later.toISOString() }, later);
    expect((await store.seen.get(FEED_URL))?.ids).toEqual(['story-2', 'story-1', 'story-3']);
    expect((await store.recent.get(FEED_URL))?.items.map((i) => i.id)).toEqual(['story-3']);
    expect((await store.recent.get(FEED_URL))?.fetchedAt).toBe(later.toISOString());
    expect((await store.feeds.get(FEED_URL))?.lastSuccessAt).toBe(later.toISOString());
  });
});
