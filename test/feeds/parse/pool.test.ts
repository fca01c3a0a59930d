// The parse worker pool: real worker threads, the real parser, and a hostile worker fixture that hangs, exhausts its
// heap or exits, to show that each failure stays inside its job (issue 8, finding 4).
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parseOpml } from '../../../src/feeds/parse/opml.js';
import { inThreadParsers, ParsePool } from '../../../src/feeds/parse/pool.js';
import { parseFeed } from '../../../src/feeds/parse/feed.js';
import type { Fetcher } from '../../../src/feeds/fetch/fetcher.js';
import { Poller } from '../../../src/feeds/poll/poller.js';
import { silentLogger } from '../../../src/log.js';
import { openStore } from '../../../src/repositories.js';
import { rssFeed } from '../../harness/feed-server.js';

const CORPUS = new URL('../../../../shared/feeds/', import.meta.url);
const SAMPLES = [
  'feedjira__feedjira/spec/sample_feeds/CRE.xml',
  'rbren__rss-parser/test/input/giantbomb-podcast.rss',
  'arminreiter__FeedReader/FeedReader.Tests/Feeds/AtomAdobe.xml',
  'chardet__chardet/tests/KOI8-R/newsru.com.xml',
];
const feed = Buffer.from(rssFeed({ title: 'Pool News', items: [{ title: 'One & two', link: 'https://news.example/1', guid: 'n1', pubDate: 'Tue, 24 Nov 2026 08:00:00 GMT' }] }));
const hostileWorker = new URL('./fixtures/hostile-parse-worker.ts', import.meta.url);

describe('ParsePool with the real worker', () => {
  let pool: ParsePool;
  beforeAll(() => {
    pool = new ParsePool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('gives exactly what parseFeed gives in this thread (results survive the trip between threads)', async () => {
    const bodies = [feed, ...(existsSync(CORPUS) ? SAMPLES.map((f) => readFileSync(new URL(f, CORPUS))) : [])];
    for (const body of bodies) {
      const opts = { url: 'https://corpus.example/feed', contentType: 'application/rss+xml' };
      const [inPool, here] = await Promise.all([pool.parse(body, opts), parseFeed(body, opts)]);
      expect(inPool).toEqual(here);
    }
  });

  it('runs many jobs at once in order, over two threads', async () => {
    const bodies = Array.from({ length: 30 }, (_, i) => Buffer.from(rssFeed({ title: `Feed ${i}`, items: [{ title: `Item ${i}`, guid: `g${i}` }] })));
    const results = await Promise.all(bodies.map((b) => pool.parse(b, {})));
    expect(results.map((r) => (r.ok ? r.feed.title : r.error.message))).toEqual(bodies.map((_, i) => `Feed ${i}`));
  });

  it('returns typed failures as FeedParseError, e.g. a gzip bomb is too large', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, '&'), { level: 9 });
    const res = await pool.parse(bomb, {});
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.name).toBe('FeedParseError');
      expect(res.error.code).toBe('too-large');
    }
    const html = await pool.parse(Buffer.from('<!DOCTYPE html><html><body>hi</body></html>'), {});
    expect(html.ok ? null : html.error.code).toBe('html-page');
  });

  it('discovers feed links and reads OPML in the workers', async () => {
    const page = Buffer.from('<html><head><link rel="alternate" type="application/rss+xml" title="News" href="/rss.xml"></head></html>');
    expect(await pool.discover(page, 'https://site.example/')).toEqual({ ok: true, feeds: [{ url: 'https://site.example/rss.xml', title: 'News', type: 'rss' }] });
    const opml = '<opml version="2.0"><head><title>Mine</title></head><body><outline text="A" xmlUrl="https://a.example/feed"/></body></opml>';
    expect(await pool.opml(Buffer.from(opml))).toEqual(parseOpml(opml));
    expect(await inThreadParsers.opml(Buffer.from(opml))).toEqual(parseOpml(opml));
  });

  it('after close, refuses with a message instead of hanging', async () => {
    const closing = new ParsePool({ threads: 1 });
    await closing.close();
    const res = await closing.parse(feed, {});
    expect(res.ok ? null : res.error.message).toBe('Herald is stopping; the feed was not read');
  });
});

describe('ParsePool against hostile jobs: each fails alone, the pool and the process carry on', () => {
  let pool: ParsePool;
  beforeAll(() => {
    // One thread, so every follow-up job runs on the replacement worker.
    pool = new ParsePool({ threads: 1, timeLimitMs: 3_000, maxHeapMb: 32, workerFile: hostileWorker });
  });
  afterAll(async () => {
    await pool.close();
  });

  const stillWorks = async () => {
    const res = await pool.parse(feed, {});
    expect(res.ok && res.feed.items[0]!.title).toBe('One & two');
  };

  it('a job past its time limit is aborted: "the feed took too long to read"', async () => {
    const res = await pool.parse(Buffer.from('hang'), {});
    expect(res.ok).toBe(false);
    if (!res.ok) expect([res.error.code, res.error.message]).toEqual(['timeout', 'the feed took too long to read']);
    await stillWorks();
  });

  it('a job that runs out of memory: "the feed is too large or complex to read"', async () => {
    const res = await pool.parse(Buffer.from('oom'), {});
    expect(res.ok).toBe(false);
    if (!res.ok) expect([res.error.code, res.error.message]).toEqual(['too-large', 'the feed is too large or complex to read']);
    await stillWorks();
  });

  it('a worker that exits or throws fails its job only', async () => {
    for (const body of ['exit', 'throw']) {
      const res = await pool.parse(Buffer.from(body), {});
      expect(res.ok ? null : res.error.code).toBe('crashed');
      await stillWorks();
    }
  });

  it('jobs queued behind a hanging one are not charged for the wait', async () => {
    const [hung, ...rest] = await Promise.all([pool.parse(Buffer.from('hang'), {}), pool.parse(feed, {}), pool.parse(feed, {})]);
    expect(hung.ok ? null : hung.error.code).toBe('timeout');
    expect(rest.map((r) => r.ok)).toEqual([true, true]);
  });

  it('discovery and OPML fail with their own words', async () => {
    const page = await pool.discover(Buffer.from('hang'), 'https://site.example/');
    expect(page.ok ? null : page.error.message).toBe('the page took too long to read');
    expect(await pool.opml(Buffer.from('oom'))).toEqual({ ok: false, reason: 'the OPML file is too large or complex to read' });
  });
});

describe('the poller on the pool', () => {
  it('a gzip bomb served as a feed fails the poll with a clear error, once parsed, and the bot carries on', async () => {
    const pool = new ParsePool({ threads: 1 });
    const store = await openStore('memory://');
    onTestFinished(async () => {
      await pool.close();
      await store.close();
    });
    const url = 'https://hostile.example/feed.xml';
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, '&'), { level: 9 });
    const fetcher: Fetcher = {
      fetch: async () => ({ kind: 'ok', status: 200, body: bomb, contentType: 'application/rss+xml', etag: null, lastModified: null, finalUrl: url, maxAgeSeconds: null }),
      close: async () => undefined,
    };
    let parses = 0;
    let now = new Date('2026-11-25T10:00:00.000Z');
    const poller = new Poller({
      store, fetcher, log: silentLogger, clock: () => now, feedUrls: () => [url], onNewItems: async () => undefined,
      parse: (body, opts) => {
        parses++;
        return pool.parse(body, opts);
      },
    });
    for (let i = 0; i < 2; i++) {
      expect((await poller.runCycle()).outcomes.failed).toBe(1);
      now = new Date(Date.parse((await store.feeds.get(url))!.nextPollAt!));
    }
    expect(parses).toBe(1);
    expect((await store.feeds.get(url))!.lastError).toBe('the feed is larger than the 5 MB limit once decompressed');
  });
});
