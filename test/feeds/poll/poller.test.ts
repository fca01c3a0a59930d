// The poller against a scripted fetcher, the real parser and an in-memory store, on a fake clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FetchError } from '../../../src/feeds/fetch/fetch-error.js';
import type { FetchOutcome, Fetcher, FetchRequest } from '../../../src/feeds/fetch/fetcher.js';
import { FeedParseError, parseFeed } from '../../../src/feeds/parse/feed.js';
import { Poller, type PollerDeps } from '../../../src/feeds/poll/poller.js';
import { DAY_MS, DISABLE_AFTER_MS, MINUTE_MS } from '../../../src/feeds/poll/scheduler.js';
import type { FeedItem } from '../../../src/feeds/types.js';
import { silentLogger } from '../../../src/log.js';
import type { FeedRecord } from '../../../src/feeds/records.js';
import { openStore, type Store } from '../../../src/repositories.js';
import { rssFeed } from '../../harness/feed-server.js';
import { StoreUnavailableError } from '../../../src/store/store.js';
import { existsSync, readFileSync } from 'node:fs';

const URL_A = 'https://news.example/a.xml';
const URL_B = 'https://news.example/b.xml';
const INTERVAL = 2 * MINUTE_MS;

type Item = { title: string; guid: string; link?: string; pubDate?: string };
type Script = FetchOutcome | Error | ((req: FetchRequest) => FetchOutcome | Error);

const ok = (items: Item[], extra: Partial<Extract<FetchOutcome, { kind: 'ok' }>> = {}): FetchOutcome => ({
  kind: 'ok',
  status: 200,
  body: Buffer.from(rssFeed({ title: 'Example News', items: items.map((i) => ({ link: `https://news.example/${i.guid}`, ...i })) })),
  contentType: 'application/rss+xml',
  etag: null,
  lastModified: null,
  finalUrl: URL_A,
  maxAgeSeconds: null,
  ...extra,
});
const notModified = (maxAgeSeconds: number | null = null): FetchOutcome => ({ kind: 'not-modified', etag: '"v1"', lastModified: null, finalUrl: URL_A, maxAgeSeconds });

/** A fetcher that answers each URL from a script (the last answer repeats) and records requests. */
function scriptedFetcher() {
  const scripts = new Map<string, Script[]>();
  const requests: FetchRequest[] = [];
  const fetcher: Fetcher = {
    async fetch(req) {
      requests.push(req);
      const queue = scripts.get(req.url);
      if (!queue?.length) throw new FetchError('http-status', 'the feed answered 404 Not Found — check the URL', req.url, { status: 404 });
      const step = queue.length > 1 ? queue.shift()! : queue[0]!;
      const answer = typeof step === 'function' ? step(req) : step;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async close() {},
  };
  return { fetcher, requests, answer: (url: string, ...steps: Script[]) => scripts.set(url, steps) };
}

let store: Store;
let now: Date;
let fake: ReturnType<typeof scriptedFetcher>;
let posted: Array<{ feed: string; ids: string[] }>;
let disabled: FeedRecord[];
let parses: number;
let urls: string[];

function makePoller(extra: Partial<PollerDeps> = {}): Poller {
  return new Poller({
    store,
    fetcher: fake.fetcher,
    log: silentLogger,
    clock: () => now,
    intervalMs: INTERVAL,
    feedUrls: () => urls,
    onNewItems: async (feed, items: FeedItem[]) => {
      posted.push({ feed: feed.url, ids: items.map((i) => i.id) });
    },
    onDisabled: async (feed) => {
      disabled.push(feed);
    },
    parse: (body, opts) => {
      parses++;
      return parseFeed(body, opts);
    },
    ...extra,
  });
}
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

beforeEach(async () => {
  store = await openStore('memory://');
  now = new Date('2026-11-25T10:00:00.000Z');
  fake = scriptedFetcher();
  posted = [];
  disabled = [];
  parses = 0;
  urls = [URL_A];
});
afterEach(async () => {
  await store.close();
});

const a1 = { title: 'Alpha one', guid: 'a1', pubDate: 'Tue, 24 Nov 2026 08:00:00 GMT' };
const a2 = { title: 'Alpha two', guid: 'a2', pubDate: 'Tue, 24 Nov 2026 09:00:00 GMT' };
const a3 = { title: 'Alpha three', guid: 'a3', pubDate: 'Wed, 25 Nov 2026 09:00:00 GMT' };
const a4 = { title: 'Alpha four', guid: 'a4', pubDate: 'Wed, 25 Nov 2026 09:30:00 GMT' };

describe('knowing what is new', () => {
  it('marks everything seen on the first fetch, then posts only new items, oldest first', async () => {
    const poller = makePoller();
    fake.answer(URL_A, ok([a2, a1]), ok([a4, a3, a2, a1]));
    expect((await poller.runCycle()).outcomes['first-fetch']).toBe(1);
    expect(posted).toEqual([]);
    const report = await poller.runCycle();
    expect(report.newItems).toBe(2);
    expect(posted).toEqual([{ feed: URL_A, ids: ['a3', 'a4'] }]);
    const record = await store.feeds.get(URL_A);
    expect(record?.lastNewItemAt).toBe(now.toISOString());
    expect(record?.title).toBe('Example News');
  });

  it('does not re-post when pubDates change or the feed is re-ordered', async () => {
    const poller = makePoller();
    const bumped = [a1, a2].map((i) => ({ ...i, pubDate: 'Thu, 26 Nov 2026 12:00:00 GMT' }));
    fake.answer(URL_A, ok([a2, a1]), ok(bumped), ok([a1, a2]));
    await poller.runCycle();
    expect((await poller.runCycle()).newItems).toBe(0);
    expect((await poller.runCycle()).newItems).toBe(0);
    expect(posted).toEqual([]);
  });

  it('misses nothing in a feed where every item has the same timestamp', async () => {
    const poller = makePoller();
    const same = 'Wed, 25 Nov 2026 00:00:00 GMT';
    const items = ['s1', 's2', 's3', 's4'].map((guid) => ({ title: `Same ${guid}`, guid, pubDate: same }));
    fake.answer(URL_A, ok([items[1]!, items[0]!]), ok([items[3]!, items[2]!, items[1]!, items[0]!]));
    await poller.runCycle();
    await poller.runCycle();
    expect(posted).toEqual([{ feed: URL_A, ids: ['s3', 's4'] }]);
  });

  it('does not re-post an item republished with the same link under a new id', async () => {
    const poller = makePoller();
    fake.answer(URL_A, ok([a2, a1]), ok([{ ...a1, guid: 'a1-v2', link: 'https://news.example/a1' }, a2]));
    await poller.runCycle();
    expect((await poller.runCycle()).newItems).toBe(0);
    expect(posted).toEqual([]);
  });
});

describe('fetching politely', () => {
  it('sends the validators back and does not parse a 304 or a byte-identical body', async () => {
    const poller = makePoller();
    fake.answer(URL_A, ok([a1], { etag: '"v1"', lastModified: 'Tue, 24 Nov 2026 08:00:00 GMT' }), notModified(), ok([a1], { etag: '"v1"' }));
    await poller.runCycle();
    expect(parses).toBe(1);
    const report = await poller.runCycle();
    expect(report.outcomes['not-modified']).toBe(1);
    expect(fake.requests[1]).toMatchObject({ etag: '"v1"', lastModified: 'Tue, 24 Nov 2026 08:00:00 GMT' });
    expect((await poller.runCycle()).outcomes.unchanged).toBe(1);
    expect(parses).toBe(1);
    expect((await store.feeds.get(URL_A))?.lastSuccessAt).toBe(now.toISOString());
  });

  it('fetches each URL once per cycle, however often it is listed, and shares a cycle in flight', async () => {
    urls = [URL_A, URL_B, URL_A, URL_A];
    fake.answer(URL_A, ok([a1]));
    fake.answer(URL_B, ok([a2], { finalUrl: URL_B }));
    const poller = makePoller();
    const [r1, r2] = await Promise.all([poller.runCycle(), poller.runCycle()]);
    expect(r1).toBe(r2);
    expect(r1.feeds).toBe(2);
    expect(fake.requests.map((r) => r.url).sort()).toEqual([URL_A, URL_B]);
  });

  it('honours max-age: the feed is not fetched again until it has passed', async () => {
    const poller = makePoller();
    fake.answer(URL_A, ok([a1], { maxAgeSeconds: 600 }), notModified(600));
    await poller.runCycle();
    expect((await store.feeds.get(URL_A))?.nextPollAt).toBe(new Date(now.getTime() + 600_000).toISOString());
    for (let i = 0; i < 4; i++) {
      advance(INTERVAL);
      expect((await poller.runCycle()).outcomes.skipped).toBe(1);
    }
    advance(INTERVAL); // 10 minutes after the first fetch
    expect((await poller.runCycle()).outcomes['not-modified']).toBe(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('spreads a cycle over the window at stable per-URL offsets', async () => {
    urls = Array.from({ length: 20 }, (_, i) => `https://host${i}.example/feed.xml`);
    for (const url of urls) fake.answer(url, ok([a1], { finalUrl: url }));
    const waits: number[][] = [];
    let current: number[] = [];
    const order: string[][] = [];
    // Waits a real moment so each fetch starts before the next feed is dispatched, and records the wait asked for.
    const sleep = async (ms: number) => {
      current.push(ms);
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const poller = makePoller({ sleep });
    for (let round = 0; round < 2; round++) {
      current = [];
      const before = fake.requests.length;
      await poller.runCycle({ spreadMs: 60_000 });
      waits.push(current);
      order.push(fake.requests.slice(before).map((r) => r.url));
    }
    // Every feed waited for its own offset (wait = offset − time already spent), in increasing offset order.
    expect(waits[0]!.length).toBeGreaterThan(15);
    expect(waits[0]!.every((w) => w > 0 && w < 60_000)).toBe(true);
    expect(order[0]).toEqual(order[1]);
    expect(new Set(order[0]).size).toBe(20);
  });

  it('stops waiting when stopped, starting no more fetches', async () => {
    urls = Array.from({ length: 5 }, (_, i) => `https://host${i}.example/feed.xml`);
    const poller = makePoller();
    const cycle = poller.runCycle({ spreadMs: 10 * 60_000 });
    setTimeout(() => poller.stop(), 20);
    const started = Date.now();
    await cycle;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.requests.length).toBeLessThan(5);
  });
});

describe('feed health', () => {
  it('backs off from the interval, doubling, capped at a day', async () => {
    const poller = makePoller();
    fake.answer(URL_A, new FetchError('timeout', 'the feed took longer than 15 s to answer', URL_A));
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      expect((await poller.runCycle()).outcomes.failed).toBe(1);
      const record = (await store.feeds.get(URL_A))!;
      const wait = Date.parse(record.nextPollAt!) - now.getTime();
      waits.push(wait);
      // Not due a moment before; due at the time.
      advance(wait - 60_000);
      if (wait > 60_000 * 2) expect((await poller.runCycle()).outcomes.skipped).toBe(1);
      advance(60_000);
    }
    expect(waits.slice(0, 4)).toEqual([INTERVAL, 2 * INTERVAL, 4 * INTERVAL, 8 * INTERVAL]);
    expect(waits[9]).toBe(512 * INTERVAL);
    expect(waits[10]).toBe(DAY_MS); // 1024 intervals would be longer than the cap
    // The next day would overshoot the 3-day mark: the last attempt is at the mark itself.
    expect(Date.parse((await store.feeds.get(URL_A))!.firstFailureAt!) + DISABLE_AFTER_MS).toBe(now.getTime());
    const record = (await store.feeds.get(URL_A))!;
    expect(record.consecutiveFailures).toBe(12);
    expect(record.lastError).toBe('the feed took longer than 15 s to answer');
    expect(record.disabledReason).toBeNull();
  });

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    const poller = makePoller();
    fake.answer(URL_A, new FetchError('http-status', 'the feed answered 429 Too Many Requests', URL_A, { status: 429, retryAfterSeconds: 3600 }));
    await poller.runCycle();
    expect((await store.feeds.get(URL_A))?.nextPollAt).toBe(new Date(now.getTime() + 3_600_000).toISOString());
  });

  it('disables a feed after about 3 days of failure, once, then retry re-enables it', async () => {
    const poller = makePoller();
    fake.answer(URL_A, ok([a1]));
    await poller.runCycle();
    fake.answer(URL_A, new FetchError('http-status', 'the feed answered 404 Not Found — check the URL', URL_A, { status: 404 }));
    const start = now.getTime();
    let cycles = 0;
    while (disabled.length === 0 && cycles < 200) {
      await poller.runCycle();
      cycles++;
      const record = (await store.feeds.get(URL_A))!;
      if (record.nextPollAt) now = new Date(Date.parse(record.nextPollAt));
    }
    expect(disabled).toHaveLength(1);
    const elapsed = now.getTime() - start;
    expect(elapsed).toBeGreaterThanOrEqual(DISABLE_AFTER_MS - MINUTE_MS);
    expect(elapsed).toBeLessThan(DISABLE_AFTER_MS + INTERVAL);
    expect(disabled[0]!.disabledReason).toBe('it has failed for 3 days; the last error was: the feed answered 404 Not Found — check the URL');

    // Disabled: never polled again, no second notice.
    const requests = fake.requests.length;
    for (let i = 0; i < 3; i++) {
      advance(DAY_MS);
      expect((await poller.runCycle()).outcomes.skipped).toBe(1);
    }
    expect(fake.requests).toHaveLength(requests);
    expect(disabled).toHaveLength(1);

    // Retry while still broken: re-enabled, polled now, fails, counts from one again.
    const still = await poller.retry(URL_A);
    expect(still.outcome).toBe('failed');
    expect(still.feed?.disabledReason).toBeNull();
    expect(still.feed?.consecutiveFailures).toBe(1);

    fake.answer(URL_A, ok([a2, a1]));
    const fixed = await poller.retry(URL_A);
    expect(fixed.outcome).toBe('new-items');
    expect(fixed.feed).toMatchObject({ consecutiveFailures: 0, disabledReason: null, firstFailureAt: null, nextPollAt: null });
    expect(fixed.feed?.lastError).toMatch(/404/); // kept for /feed status
    expect(posted).toEqual([{ feed: URL_A, ids: ['a2'] }]);
  });

  it('a success resets the failure count', async () => {
    const poller = makePoller();
    fake.answer(URL_A, new FetchError('network', "couldn't reach news.example (connection reset)", URL_A), ok([a1]));
    await poller.runCycle();
    advance(INTERVAL);
    await poller.runCycle();
    expect(await store.feeds.get(URL_A)).toMatchObject({ consecutiveFailures: 0, firstFailureAt: null, nextPollAt: null });
  });

  it('a broken notice hook does not break the cycle', async () => {
    const poller = makePoller({
      onDisabled: async () => {
        throw new Error('discord is down');
      },
    });
    fake.answer(URL_A, new FetchError('dns', "couldn't find the host news.example (DNS lookup failed)", URL_A));
    await poller.runCycle();
    now = new Date(now.getTime() + DISABLE_AFTER_MS);
    expect((await poller.runCycle()).outcomes.disabled).toBe(1);
    expect((await store.feeds.get(URL_A))?.disabledReason).toMatch(/DNS lookup failed/);
  });
});

describe('a body that fails to parse (issue 8, finding 4)', () => {
  const broken = (extra: Partial<Extract<FetchOutcome, { kind: 'ok' }>> = {}): FetchOutcome =>
    ok([a1], { body: Buffer.from('<rss version="2.0"><channel><title>x</title><item><title>a</ti'), ...extra });

  it('is parsed once: the same bytes fail again with the same error, without a parse', async () => {
    const poller = makePoller();
    fake.answer(URL_A, broken({ etag: '"broken"' }));
    const errors: string[] = [];
    for (let i = 0; i < 3; i++) {
      expect((await poller.runCycle()).outcomes.failed).toBe(1);
      const record = (await store.feeds.get(URL_A))!;
      errors.push(record.lastError!);
      now = new Date(Date.parse(record.nextPollAt!));
    }
    expect(parses).toBe(1);
    expect(new Set(errors).size).toBe(1);
    expect(errors[0]).toMatch(/not well-formed XML/);
    const record = (await store.feeds.get(URL_A))!;
    expect(record.consecutiveFailures).toBe(3); // still counts for health and backoff
    expect(record.etag).toBeNull(); // no validators from a broken body: the next poll sees the bytes again
    expect(fake.requests.every((r) => !r.etag)).toBe(true);

    // New bytes are parsed; a good body clears the failure.
    fake.answer(URL_A, ok([a1]));
    expect((await poller.runCycle()).outcomes['first-fetch']).toBe(1);
    expect(parses).toBe(2);
    expect(await store.feeds.get(URL_A)).toMatchObject({ consecutiveFailures: 0, bodyParseError: null });
  });

  it('a failure in between (network) does not change the error the broken body reports', async () => {
    const poller = makePoller();
    fake.answer(URL_A, broken(), new FetchError('network', "couldn't reach news.example", URL_A), broken());
    for (let i = 0; i < 3; i++) {
      await poller.runCycle();
      now = new Date(Date.parse((await store.feeds.get(URL_A))!.nextPollAt!));
    }
    expect(parses).toBe(1);
    expect((await store.feeds.get(URL_A))!.lastError).toMatch(/not well-formed XML/);
  });

  it('a parser crash is not held against the bytes: they are parsed again next time', async () => {
    const poller = makePoller({
      parse: async (body, opts) => {
        parses++;
        return parses === 1 ? { ok: false, error: new FeedParseError('crashed', 'the feed could not be read (the parser stopped unexpectedly)') } : parseFeed(body, opts);
      },
    });
    fake.answer(URL_A, ok([a1]));
    expect((await poller.runCycle()).outcomes.failed).toBe(1);
    now = new Date(Date.parse((await store.feeds.get(URL_A))!.nextPollAt!));
    expect((await poller.runCycle()).outcomes['first-fetch']).toBe(1);
    expect(parses).toBe(2);
  });

  it('/feed retry parses it again', async () => {
    const poller = makePoller();
    fake.answer(URL_A, broken());
    await poller.runCycle();
    expect((await poller.retry(URL_A)).outcome).toBe('failed');
    expect(parses).toBe(2);
  });
});

describe('an unbounded Retry-After (issue 8, finding 12)', () => {
  it('is capped, and the feed is still disabled after about 3 days', async () => {
    const poller = makePoller();
    fake.answer(URL_A, new FetchError('http-status', 'the feed answered 429 Too Many Requests', URL_A, { status: 429, retryAfterSeconds: 99999999999999999999 }));
    const start = now.getTime();
    let cycles = 0;
    while (disabled.length === 0 && cycles < 50) {
      const report = await poller.runCycle();
      expect(report.outcomes.failed + report.outcomes.disabled).toBe(1);
      cycles++;
      const record = (await store.feeds.get(URL_A))!;
      if (record.nextPollAt) now = new Date(Date.parse(record.nextPollAt));
    }
    expect(disabled).toHaveLength(1);
    expect(now.getTime() - start).toBeLessThanOrEqual(DISABLE_AFTER_MS + DAY_MS);
  });
});

// Podcast feeds from ../shared/feeds (real feeds from other projects' test suites).
const CORPUS = new URL('../../../../shared/feeds/', import.meta.url);
const PODCASTS = [
  'rbren__rss-parser/test/input/giantbomb-podcast.rss',
  'rbren__rss-parser/test/input/itunes-keywords-astext.rss',
  'feedjira__feedjira/spec/sample_feeds/TheWeb20Show.xml',
  'feedjira__feedjira/spec/sample_feeds/CRE.xml',
  'feedjira__feedjira/spec/sample_feeds/itunes.xml',
  'feedjira__feedjira/spec/sample_feeds/itunes_feedburner.xml',
  'arminreiter__FeedReader/FeedReader.Tests/Feeds/Rss20ItunesSample.xml',
];
const corpusHere = existsSync(CORPUS);

describe.skipIf(!corpusHere)('feed identity on real podcast feeds (issue 8, finding 8)', () => {
  if (!corpusHere) console.warn(`skipping real podcast feeds: ${CORPUS.pathname} is absent`);

  /** The feed without its first (newest) <item>. */
  const withoutNewest = (xml: string): string => {
    const start = xml.indexOf('<item');
    const end = xml.indexOf('</item>', start) + '</item>'.length;
    return xml.slice(0, start) + xml.slice(end);
  };
  /** Every episode's <link> replaced by the show's page, as many podcast hosts publish them. */
  const showLinks = (xml: string): string => {
    const channelLink = /<link>([^<]+)<\/link>/.exec(xml.slice(0, xml.indexOf('<item')))![1]!;
    return xml.replace(/<item[\s>][\s\S]*?<\/item>/g, (item) =>
      /<link>[^<]*<\/link>/.test(item) ? item.replace(/<link>[^<]*<\/link>/g, `<link>${channelLink}</link>`) : item.replace('</item>', `<link>${channelLink}</link></item>`),
    );
  };

  for (const file of PODCASTS) {
    for (const variant of ['as published', 'with the show page as every episode link'] as const) {
      it(`${file.split('/').pop()} ${variant}: the one new episode is new`, async () => {
        let xml = readFileSync(new URL(file, CORPUS), 'utf8');
        expect(xml).toContain('itunes:');
        if (variant !== 'as published') xml = showLinks(xml);
        const newest = (await parseFeed(Buffer.from(xml), { url: URL_A }));
        if (!newest.ok) throw newest.error;
        const poller = makePoller();
        const answer = (body: string) => ok([], { body: Buffer.from(body) });
        fake.answer(URL_A, answer(withoutNewest(xml)), answer(xml));
        expect((await poller.runCycle()).outcomes['first-fetch']).toBe(1);
        const report = await poller.runCycle();
        expect(report.newItems).toBe(1);
        expect(posted).toEqual([{ feed: URL_A, ids: [newest.feed.items[0]!.id] }]);
      });
    }
  }
});

describe('several workers claiming new items (HERALD_ROLE=worker)', () => {
  const FEED = 'https://news.example/claims.xml';

  function world() {
    let items = [{ title: 'old', guid: 'o1', link: 'https://news.example/o1' }];
    const fetcher: Fetcher = {
      async fetch() {
        return { kind: 'ok', status: 200, body: Buffer.from(rssFeed({ title: 'F', items })), contentType: 'application/rss+xml', etag: '"v"', lastModified: null, finalUrl: FEED, maxAgeSeconds: null } as FetchOutcome;
      },
      async close() {},
    };
    // Redis's SET NX GET, in memory: the first claim wins; the same token may claim again
    const claims = new Map<string, string>();
    const claimNewItems = async (url: string, ids: string[], token: string) => {
      const mine = new Set<string>();
      for (const id of ids) {
        const holder = claims.get(`${url}|${id}`);
        if (holder === undefined) claims.set(`${url}|${id}`, token);
        if (holder === undefined || holder === token) mine.add(id);
      }
      return mine;
    };
    const queued: string[] = [];
    let dies = false;
    return {
      setItems: (next: typeof items) => (items = next),
      dieOnce: () => (dies = true),
      queued,
      poller: (store: Store) =>
        new Poller({
          store,
          fetcher,
          log: silentLogger,
          clock: () => new Date('2026-12-01T10:00:00Z'),
          intervalMs: MINUTE_MS,
          feedUrls: () => [FEED],
          parse: parseFeed,
          claimNewItems,
          onNewItems: async (_feed, its) => {
            if (dies) {
              dies = false;
              throw new StoreUnavailableError('the worker died here, before the outbox write');
            }
            queued.push(...its.map((i) => i.id));
          },
        }),
    };
  }

  it('an item claimed by a poll that died is not marked seen by the next cycle; the dead poll’s retry alerts it, once', async () => {
    const store = await openStore('memory://');
    const w = world();
    const poller = w.poller(store);
    await poller.pollFeed(FEED, { force: true, token: 'first' }); // learns what exists
    w.setItems([{ title: 'new', guid: 'n1', link: 'https://news.example/n1' }, { title: 'old', guid: 'o1', link: 'https://news.example/o1' }]);
    w.dieOnce();
    await expect(poller.pollFeed(FEED, { force: true, token: 'slot-1' })).rejects.toThrow(StoreUnavailableError);
    // the next cycle's job (another worker): n1 is held by slot-1's job, so it is skipped but stays new
    expect((await poller.pollFeed(FEED, { force: true, token: 'slot-2' })).newItems).toBe(0);
    expect((await store.seen.get(FEED))!.ids).not.toContain('n1');
    expect((await store.feeds.get(FEED))!.bodyHash).toBeNull(); // the same body is parsed again next time
    // slot-1's job, taken over by a live worker: it claims n1 again and queues it
    expect((await poller.pollFeed(FEED, { force: true, token: 'slot-1' })).newItems).toBe(1);
    expect(w.queued).toEqual(['n1']);
    expect((await store.seen.get(FEED))!.ids).toContain('n1');
    expect((await poller.pollFeed(FEED, { force: true, token: 'slot-3' })).newItems).toBe(0);
    expect(w.queued).toEqual(['n1']);
  });
});
