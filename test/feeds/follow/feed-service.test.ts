// FeedService against a scripted fetcher (canned FetchOutcomes per URL), the in-thread parsers and an in-memory store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../src/errors.js';
import { FetchError } from '../../../src/feeds/fetch/fetch-error.js';
import type { FetchOutcome, Fetcher, FetchRequest } from '../../../src/feeds/fetch/fetcher.js';
import { FeedProblem, FeedService, normaliseFeedUrl, type FeedServiceDeps } from '../../../src/feeds/follow/feed-service.js';
import { blankFeedRecord } from '../../../src/feeds/feed-record.js';
import { inThreadParsers } from '../../../src/feeds/parse/pool.js';
import { silentLogger } from '../../../src/log.js';
import { openStore, type Store } from '../../../src/repositories.js';
import { rssFeed } from '../../harness/feed-server.js';
import { until } from '../../harness/until.js';

const G1 = 'guild-1';
const G2 = 'guild-2';
const DEFAULT_A = 'https://defaults.example/a.xml';
const DEFAULT_B = 'https://defaults.example/b.xml';
const NOW = new Date('2026-12-01T12:00:00.000Z');
const feedUrl = (n: number | string) => `https://news.example/${n}.xml`;

const rssBody = (title: string, guids: string[]) =>
  rssFeed({ title, link: 'https://news.example/', items: guids.map((g) => ({ title: `Story ${g}`, guid: g, link: `https://news.example/story/${g}` })) });

type Answer = FetchOutcome | Error;

const ok = (url: string, body: string, extra: Partial<Extract<FetchOutcome, { kind: 'ok' }>> = {}): FetchOutcome => ({
  kind: 'ok',
  status: 200,
  body: Buffer.from(body),
  contentType: 'application/rss+xml',
  etag: null,
  lastModified: null,
  finalUrl: url,
  maxAgeSeconds: null,
  ...extra,
});
const html = (url: string, links: string[]) =>
  ok(url, `<!doctype html><html><head><title>Site</title>${links.join('')}</head><body>Hello</body></html>`, { contentType: 'text/html; charset=utf-8' });
const rssLink = (href: string, title: string) => `<link rel="alternate" type="application/rss+xml" title="${title}" href="${href}">`;

/**
 * Answers each URL from a table (unknown URLs: a 404 FetchError) and records requested URLs. `hold()` makes every
 * fetch wait until `release()`, so a test can line follows up side by side.
 */
function scriptedFetcher() {
  const answers = new Map<string, Answer>();
  const requested: string[] = [];
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  let waiting = 0;
  const fetcher: Fetcher = {
    async fetch(req: FetchRequest) {
      requested.push(req.url);
      if (gate) {
        waiting++;
        await gate;
        waiting--;
      }
      const answer = answers.get(req.url);
      if (!answer) throw new FetchError('http-status', 'the feed answered 404 Not Found', req.url, { status: 404 });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async close() {},
  };
  return {
    fetcher,
    requested,
    answer: (url: string, a: Answer) => answers.set(url, a),
    feed: (url: string, title: string, guids: string[]) => answers.set(url, ok(url, rssBody(title, guids))),
    hold: () => {
      gate = new Promise((r) => (open = r));
    },
    release: () => {
      gate = null;
      open();
    },
    waiting: () => waiting,
  };
}

let store: Store;
let fake: ReturnType<typeof scriptedFetcher>;
const services: FeedService[] = [];

function service(extra: Partial<FeedServiceDeps> = {}): FeedService {
  const s = new FeedService({
    store,
    fetcher: fake.fetcher,
    log: silentLogger,
    clock: () => NOW,
    defaultFeeds: [],
    maxFeedsPerGuild: 10,
    parsers: inThreadParsers,
    ...extra,
  });
  services.push(s);
  return s;
}

/** The FeedProblem `promise` rejects with (fails the test when it resolves or rejects with anything else). */
async function problemOf(promise: Promise<unknown>): Promise<FeedProblem> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeedProblem);
  return error as FeedProblem;
}

beforeEach(async () => {
  store = await openStore('memory://');
  fake = scriptedFetcher();
});
afterEach(async () => {
  fake.release();
  await Promise.all(services.splice(0).map((s) => s.close()));
  await store.close();
});

describe('normaliseFeedUrl', () => {
  it('adds https, strips <> and the fragment', () => {
    expect(normaliseFeedUrl(' <news.example/feed.xml#top> ')).toBe('https://news.example/feed.xml');
    expect(normaliseFeedUrl('http://news.example/rss')).toBe('http://news.example/rss');
  });

  it('refuses non-http schemes and non-URLs with a bad-url FeedProblem', () => {
    const a = (() => {
      try {
        normaliseFeedUrl('ftp://news.example/feed.xml');
      } catch (e) {
        return e;
      }
    })() as FeedProblem;
    expect(a).toBeInstanceOf(FeedProblem);
    expect(a).toBeInstanceOf(UserFacingError);
    expect(a.code).toBe('bad-url');
    expect(a.message).toBe('Only http:// and https:// feeds can be followed (got ftp://).');
    expect(() => normaliseFeedUrl('http://')).toThrow(/is not a URL\. Give the feed's full address/);
  });
});

describe('follow', () => {
  it('fetches a new feed once, stores its record, seen-set and recent items, and the guild follows it', async () => {
    fake.answer(feedUrl(1), ok(feedUrl(1), rssBody('One', ['a', 'b', 'c']), { etag: '"e1"', lastModified: 'Mon, 30 Nov 2026 10:00:00 GMT' }));
    const s = service();
    const result = await s.follow(G1, 'news.example/1.xml');
    expect(result.alreadyFollowed).toBe(false);
    expect(result.itemCount).toBe(3);
    expect(result.feed).toMatchObject({ url: feedUrl(1), title: 'One', siteUrl: 'https://news.example/', etag: '"e1"', lastModified: 'Mon, 30 Nov 2026 10:00:00 GMT', addedAt: NOW.toISOString(), lastPolledAt: NOW.toISOString(), lastSuccessAt: NOW.toISOString(), consecutiveFailures: 0 });
    expect(fake.requested).toEqual([feedUrl(1)]);

    expect(await store.feeds.get(feedUrl(1))).toEqual(result.feed);
    expect(await s.record(feedUrl(1))).toEqual(result.feed);
    expect((await store.seen.get(feedUrl(1)))?.ids).toEqual(['a', 'b', 'c']);
    expect((await store.recent.get(feedUrl(1)))?.items.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    expect(await store.guildFeeds.get(G1)).toEqual({ follows: [feedUrl(1)], droppedDefaults: [] });
    expect(s.followedBy(G1)).toEqual([feedUrl(1)]);
    expect(s.isFollowedBy(G1, feedUrl(1))).toBe(true);
    expect(s.isFollowedBy(G2, feedUrl(1))).toBe(false);
  });

  it('a second follow by the same guild is alreadyFollowed, with no fetch', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    const s = service();
    await s.follow(G1, feedUrl(1));
    const again = await s.follow(G1, feedUrl(1));
    expect(again).toMatchObject({ alreadyFollowed: true, itemCount: 0 });
    expect(fake.requested).toEqual([feedUrl(1)]);
  });

  it('a feed another guild already follows is not fetched again, and its seen-set is left alone', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    const s = service();
    await s.follow(G1, feedUrl(1));
    const seenBefore = await store.seen.get(feedUrl(1));
    const second = await s.follow(G2, feedUrl(1));
    expect(second).toMatchObject({ alreadyFollowed: false, itemCount: 0 });
    expect(second.feed.url).toBe(feedUrl(1));
    expect(fake.requested).toEqual([feedUrl(1)]);
    expect(await store.seen.get(feedUrl(1))).toEqual(seenBefore);
    expect(s.guildsFollowing(feedUrl(1), [G1, G2, 'guild-3'])).toEqual([G1, G2]);
  });

  it('follows the final URL after a redirect, and a later follow by that URL is alreadyFollowed', async () => {
    const final = 'https://news.example/new-home.xml';
    fake.answer(feedUrl('old'), ok(final, rssBody('Moved', ['a'])));
    const s = service();
    const first = await s.follow(G1, feedUrl('old'));
    expect(first.feed.url).toBe(final);
    expect(s.followedBy(G1)).toEqual([final]);
    expect(await store.feeds.get(feedUrl('old'))).toBeUndefined();
    expect(await s.follow(G1, final)).toMatchObject({ alreadyFollowed: true });
    // by the old URL: fetched again (Herald keeps no record under it), then recognised as already followed
    expect(await s.follow(G1, feedUrl('old'))).toMatchObject({ alreadyFollowed: true, itemCount: 0 });
    expect(fake.requested).toEqual([feedUrl('old'), feedUrl('old')]);
  });

  it('a fetch failure is a fetch FeedProblem naming the URL and the reason; nothing is stored', async () => {
    const s = service();
    const problem = await problemOf(s.follow(G1, feedUrl('missing')));
    expect(problem.code).toBe('fetch');
    expect(problem.message).toBe(`Couldn't fetch ${feedUrl('missing')}: the feed answered 404 Not Found`);
    expect(await store.feeds.get(feedUrl('missing'))).toBeUndefined();
    expect(await store.guildFeeds.get(G1)).toBeUndefined();
    expect(s.followedBy(G1)).toEqual([]);
  });

  it('a body that is no feed is a parse FeedProblem', async () => {
    fake.answer(feedUrl('junk'), ok(feedUrl('junk'), 'plain words', { contentType: 'text/plain' }));
    const problem = await problemOf(service().follow(G1, feedUrl('junk')));
    expect(problem.code).toBe('parse');
    expect(problem.message).toMatch(new RegExp(`^${feedUrl('junk').replace(/[.?/]/g, '\\$&')} isn't a feed Herald can read: `));
    expect(await store.feeds.get(feedUrl('junk'))).toBeUndefined();
  });

  it('a bad URL is refused before any fetch', async () => {
    const problem = await problemOf(service().follow(G1, 'javascript:alert(1)'));
    expect(problem.code).toBe('bad-url');
    expect(fake.requested).toEqual([]);
  });
});

describe('default feeds', () => {
  it('every guild follows the defaults; dropping one records it, and following it again un-drops it', async () => {
    fake.feed(DEFAULT_A, 'Default A', ['a']);
    const s = service({ defaultFeeds: [DEFAULT_A, DEFAULT_B] });
    expect(s.followedBy(G1)).toEqual([DEFAULT_A, DEFAULT_B]);
    expect(s.allFeedUrls()).toEqual([DEFAULT_A, DEFAULT_B]);
    expect(s.guildsFollowing(DEFAULT_A, [G1, G2])).toEqual([G1, G2]);

    expect(await s.unfollow(G1, 'defaults.example/a.xml')).toBe(true);
    expect(s.followedBy(G1)).toEqual([DEFAULT_B]);
    expect(await store.guildFeeds.get(G1)).toEqual({ follows: [], droppedDefaults: [DEFAULT_A] });
    expect(s.guildsFollowing(DEFAULT_A, [G1, G2])).toEqual([G2]);
    // still polled: another guild may follow it
    expect(s.allFeedUrls()).toContain(DEFAULT_A);

    const again = await s.follow(G1, DEFAULT_A);
    expect(again.alreadyFollowed).toBe(false);
    // a default is never copied into follows, only taken out of droppedDefaults
    expect(await store.guildFeeds.get(G1)).toEqual({ follows: [], droppedDefaults: [] });
    expect(s.followedBy(G1)).toEqual([DEFAULT_A, DEFAULT_B]);
  });

  it('following a default the guild has not dropped is alreadyFollowed once Herald has its record', async () => {
    await store.feeds.set(DEFAULT_A, blankFeedRecord(DEFAULT_A, 'Default A', null, NOW));
    const s = service({ defaultFeeds: [DEFAULT_A] });
    expect(await s.follow(G1, DEFAULT_A)).toMatchObject({ alreadyFollowed: true, itemCount: 0 });
    expect(fake.requested).toEqual([]);
  });
});

describe('unfollow', () => {
  it('removes an own feed, tolerating a missing scheme and a trailing slash; false when not followed', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    fake.feed(feedUrl(2), 'Two', ['b']);
    const s = service();
    await s.follow(G1, feedUrl(1));
    await s.follow(G1, feedUrl(2));
    expect(await s.unfollow(G1, 'news.example/1.xml/')).toBe(true);
    expect(s.followedBy(G1)).toEqual([feedUrl(2)]);
    expect(await store.guildFeeds.get(G1)).toEqual({ follows: [feedUrl(2)], droppedDefaults: [] });
    expect(await s.unfollow(G1, feedUrl(1))).toBe(false);
    expect(await s.unfollow(G2, feedUrl(2))).toBe(false);
    expect(await s.unfollow(G1, 'not a url at all ://')).toBe(false);
    // the feed's own record stays (other guilds, /feed list history)
    expect(await store.feeds.get(feedUrl(1))).toBeDefined();
  });
});

describe('per-guild feed limit', () => {
  it('refuses a follow past the limit with a limit FeedProblem, before fetching', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    fake.feed(feedUrl(2), 'Two', ['b']);
    const s = service({ defaultFeeds: [DEFAULT_A], maxFeedsPerGuild: 2 });
    await s.follow(G1, feedUrl(1));
    const problem = await problemOf(s.follow(G1, feedUrl(2)));
    expect(problem.code).toBe('limit');
    expect(problem.message).toBe('This server already follows 2 feeds, the limit. Remove one with /feed remove first.');
    expect(fake.requested).toEqual([feedUrl(1)]);
    // another guild has its own count
    expect((await s.follow(G2, feedUrl(2))).alreadyFollowed).toBe(false);
    // dropping a default frees a slot
    await s.unfollow(G1, DEFAULT_A);
    expect((await s.follow(G1, feedUrl(2))).alreadyFollowed).toBe(false);
    expect(s.followedBy(G1)).toEqual([feedUrl(1), feedUrl(2)]);
  });

  it('checks again inside the lock: two follows side by side cannot pass the limit together', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    fake.feed(feedUrl(2), 'Two', ['b']);
    const s = service({ maxFeedsPerGuild: 1 });
    fake.hold();
    const both = Promise.allSettled([s.follow(G1, feedUrl(1)), s.follow(G1, feedUrl(2))]);
    // both have passed the first check and are fetching
    await until(() => fake.waiting() === 2, 'both follows fetching');
    fake.release();
    const [first, second] = await both;
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    const reason = (second as PromiseRejectedResult).reason as FeedProblem;
    expect(reason).toBeInstanceOf(FeedProblem);
    expect(reason.code).toBe('limit');
    expect(s.followedBy(G1)).toEqual([feedUrl(1)]);
    expect(await store.guildFeeds.get(G1)).toEqual({ follows: [feedUrl(1)], droppedDefaults: [] });
  });
});

describe('inspect', () => {
  it('returns a feed as parsed, with the URL after redirects and the validators', async () => {
    fake.answer(feedUrl(1), ok(feedUrl('final'), rssBody('One', ['a', 'b']), { etag: '"x"', lastModified: 'Mon, 30 Nov 2026 10:00:00 GMT' }));
    const inspected = await service().inspect(feedUrl(1));
    expect(inspected).toMatchObject({ url: feedUrl('final'), etag: '"x"', lastModified: 'Mon, 30 Nov 2026 10:00:00 GMT' });
    expect(inspected.feed.items.map((i) => i.id)).toEqual(['a', 'b']);
    // inspect stores nothing
    expect(await store.feeds.get(feedUrl('final'))).toBeUndefined();
    expect(await store.seen.get(feedUrl('final'))).toBeUndefined();
  });

  it('follows the one feed an HTML page advertises (relative href resolved)', async () => {
    const page = 'https://blog.example/';
    fake.answer(page, html(page, [rssLink('/feed.xml', 'Posts')]));
    fake.feed('https://blog.example/feed.xml', 'Blog posts', ['p1']);
    const s = service();
    const inspected = await s.inspect('blog.example');
    expect(inspected.url).toBe('https://blog.example/feed.xml');
    expect(inspected.feed.title).toBe('Blog posts');
    expect(fake.requested).toEqual([page, 'https://blog.example/feed.xml']);

    const followed = await s.follow(G1, page);
    expect(followed.feed.url).toBe('https://blog.example/feed.xml');
    expect(s.followedBy(G1)).toEqual(['https://blog.example/feed.xml']);
  });

  it('refuses a page with several feeds with several-feeds and the candidates', async () => {
    const page = 'https://blog.example/';
    fake.answer(page, html(page, [rssLink('/posts.xml', 'Posts'), rssLink('https://blog.example/comments.xml', 'Comments')]));
    const s = service();
    const problem = await problemOf(s.follow(G1, page));
    expect(problem.code).toBe('several-feeds');
    expect(problem.message).toBe('That page offers 2 feeds; add the one you want by its URL.');
    expect(problem.candidates.map((c) => ({ url: c.url, title: c.title }))).toEqual([
      { url: 'https://blog.example/posts.xml', title: 'Posts' },
      { url: 'https://blog.example/comments.xml', title: 'Comments' },
    ]);
    expect(fake.requested).toEqual([page]);
    expect(s.followedBy(G1)).toEqual([]);
  });

  it('refuses a page that links to no feed with a parse FeedProblem saying so', async () => {
    const page = 'https://blog.example/';
    fake.answer(page, html(page, []));
    const problem = await problemOf(service().inspect(page));
    expect(problem.code).toBe('parse');
    expect(problem.message).toBe(`${page} is a web page, not a feed, and it links to no RSS, Atom or JSON feed. Look for an RSS link on the site.`);
  });

  it('searches one page only: an advertised "feed" that is itself a page is refused, not followed further', async () => {
    const page = 'https://blog.example/';
    const next = 'https://blog.example/feed.xml';
    fake.answer(page, html(page, [rssLink('/feed.xml', 'Posts')]));
    fake.answer(next, html(next, [rssLink('/other.xml', 'Other')]));
    const problem = await problemOf(service().inspect(page));
    expect(problem.code).toBe('parse');
    expect(problem.message).toBe(`${next} isn't a feed Herald can read: this URL returned an HTML page, not a feed`);
    expect(fake.requested).toEqual([page, next]);
  });

  it('a 304 to an unconditional request is a fetch FeedProblem (no content)', async () => {
    fake.answer(feedUrl(1), { kind: 'not-modified', etag: null, lastModified: null, finalUrl: feedUrl(1), maxAgeSeconds: null });
    const problem = await problemOf(service().inspect(feedUrl(1)));
    expect(problem.code).toBe('fetch');
    expect(problem.message).toBe(`Couldn't fetch ${feedUrl(1)}: the server sent no content.`);
  });

  it('an error other than FetchError from the fetcher is passed on, not dressed as a FeedProblem', async () => {
    const boom = new TypeError('boom');
    fake.answer(feedUrl(1), boom);
    await expect(service().inspect(feedUrl(1))).rejects.toBe(boom);
  });
});

describe('OPML import', () => {
  it('plans: invalid URLs fail, duplicates count once, followed feeds are "already", new ones capped at free slots', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    const s = service({ defaultFeeds: [DEFAULT_A], maxFeedsPerGuild: 4 });
    await s.follow(G1, feedUrl(1));
    const plan = s.planImport(G1, [
      feedUrl(1),
      'news.example/1.xml/', // the same feed, loosely
      DEFAULT_A,
      'ftp://files.example/x',
      feedUrl(2),
      'https://news.example/2.xml#frag', // a duplicate once normalised
      feedUrl(3),
      feedUrl(4),
      feedUrl(5),
    ]);
    expect(plan.toTry).toEqual([feedUrl(2), feedUrl(3)]);
    expect(plan.already).toBe(3);
    expect(plan.invalid).toEqual([{ url: 'ftp://files.example/x', reason: 'Only http:// and https:// feeds can be followed (got ftp://).' }]);
    expect(plan.overLimit).toBe(2);
    expect(fake.requested).toEqual([feedUrl(1)]);
  });

  it('plans nothing to try when the guild is at (or over) its limit', () => {
    const s = service({ defaultFeeds: [DEFAULT_A, DEFAULT_B], maxFeedsPerGuild: 1 });
    expect(s.planImport(G1, [feedUrl(1), feedUrl(2)])).toEqual({ toTry: [], already: 0, invalid: [], overLimit: 2 });
  });

  it('runs the plan in the background: follows what works, reports progress, summarises failures', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    fake.feed(feedUrl(3), 'Three', ['c']);
    const s = service({ maxFeedsPerGuild: 10 });
    const plan = s.planImport(G1, [feedUrl(1), feedUrl(2), feedUrl(3), 'mailto:x@y.example']);
    const progress: Array<[number, number]> = [];
    const summary = await s.startImport(G1, plan, (done, total) => progress.push([done, total]));
    expect(summary).toEqual({
      added: 2,
      already: 0,
      failed: [
        { url: 'mailto:x@y.example', reason: 'Only http:// and https:// feeds can be followed (got mailto://).' },
        { url: feedUrl(2), reason: `Couldn't fetch ${feedUrl(2)}: the feed answered 404 Not Found` },
      ],
      overLimit: 0,
      stopped: 0,
    });
    expect(progress.map(([d]) => d)).toEqual([1, 2, 3]);
    expect(progress.every(([, t]) => t === 3)).toBe(true);
    expect(s.followedBy(G1).sort()).toEqual([feedUrl(1), feedUrl(3)]);
    expect([...fake.requested].sort()).toEqual([feedUrl(1), feedUrl(2), feedUrl(3)]);
  });

  it('counts a feed refused for the limit at follow time as overLimit, not as a failure', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    fake.feed(feedUrl(2), 'Two', ['b']);
    fake.feed(feedUrl(9), 'Nine', ['z']);
    const s = service({ maxFeedsPerGuild: 2 });
    const plan = s.planImport(G1, [feedUrl(1), feedUrl(2)]);
    expect(plan.toTry).toHaveLength(2);
    // a /feed add takes a slot while the import is planned
    await s.follow(G1, feedUrl(9));
    const summary = await s.startImport(G1, plan, () => {});
    expect(summary).toMatchObject({ added: 1, overLimit: 1, failed: [], stopped: 0 });
    expect(s.followedBy(G1)).toHaveLength(2);
  });

  it('runs one import per guild at a time (busy), other guilds unaffected, and at most 2 fetches at once', async () => {
    for (const n of [1, 2, 3]) fake.feed(feedUrl(n), `Feed ${n}`, [`i${n}`]);
    const s = service();
    fake.hold();
    const first = s.startImport(G1, s.planImport(G1, [feedUrl(1), feedUrl(2), feedUrl(3)]), () => {});
    await until(() => fake.waiting() === 2, 'two import fetches under way');
    expect(fake.requested).toHaveLength(2);

    let busy: unknown;
    try {
      void s.startImport(G1, s.planImport(G1, [feedUrl(3)]), () => {});
    } catch (e) {
      busy = e;
    }
    expect(busy).toBeInstanceOf(FeedProblem);
    expect((busy as FeedProblem).code).toBe('busy');
    expect((busy as FeedProblem).message).toBe('An import is already running in this server. Wait for its summary, then import again.');

    const other = s.startImport(G2, s.planImport(G2, [feedUrl(1)]), () => {});
    fake.release();
    expect((await first).added).toBe(3);
    expect((await other).added).toBe(1);
    // finished: the guild may import again
    expect((await s.startImport(G1, s.planImport(G1, [feedUrl(1)]), () => {})).already).toBe(1);
  });

  it('close() stops an import from starting more fetches and waits for those under way', async () => {
    for (const n of [1, 2, 3, 4]) fake.feed(feedUrl(n), `Feed ${n}`, [`i${n}`]);
    const s = service();
    fake.hold();
    const running = s.startImport(G1, s.planImport(G1, [1, 2, 3, 4].map(feedUrl)), () => {});
    await until(() => fake.waiting() === 2, 'two import fetches under way');
    const closing = s.close();
    fake.release();
    await closing;
    expect(await running).toMatchObject({ added: 2, stopped: 2, failed: [] });
    expect(fake.requested).toEqual([feedUrl(1), feedUrl(2)]);
  });
});

describe('reading', () => {
  it('load() rebuilds the view of who follows what from the store', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    const first = service({ defaultFeeds: [DEFAULT_A] });
    await first.follow(G1, feedUrl(1));
    await first.unfollow(G1, DEFAULT_A);
    await store.guildFeeds.set(G2, { follows: [feedUrl(7)], droppedDefaults: [] });

    const restarted = service({ defaultFeeds: [DEFAULT_A] });
    expect(restarted.followedBy(G1)).toEqual([DEFAULT_A]);
    await restarted.load();
    expect(restarted.followedBy(G1)).toEqual([feedUrl(1)]);
    expect(restarted.followedBy(G2)).toEqual([DEFAULT_A, feedUrl(7)]);
    expect(restarted.allFeedUrls().sort()).toEqual([DEFAULT_A, feedUrl(1), feedUrl(7)].sort());

    // load() replaces, not merges: a guild deleted from the store is gone from the view
    await store.guildFeeds.delete(G2);
    await restarted.load();
    expect(restarted.followedBy(G2)).toEqual([DEFAULT_A]);
  });

  it('followedBy lists defaults first, then own feeds, each once', async () => {
    await store.guildFeeds.set(G1, { follows: [feedUrl(1), DEFAULT_B], droppedDefaults: [] });
    const s = service({ defaultFeeds: [DEFAULT_A, DEFAULT_B] });
    await s.load();
    expect(s.followedBy(G1)).toEqual([DEFAULT_A, DEFAULT_B, feedUrl(1)]);
  });

  it('record() and list() read feed records; list skips feeds never fetched', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    const s = service({ defaultFeeds: [DEFAULT_A] });
    await s.follow(G1, feedUrl(1));
    expect(await s.record(DEFAULT_A)).toBeUndefined();
    expect((await s.record(feedUrl(1)))?.title).toBe('One');
    expect((await s.list(G1)).map((r) => r.url)).toEqual([feedUrl(1)]);
  });

  it('recentItems() merges the feeds\u2019 latest items newest first, undated last, with their feed', async () => {
    fake.answer(
      feedUrl(1),
      ok(feedUrl(1), rssFeed({ title: 'One', items: [
        { title: 'Old', guid: 'o', pubDate: 'Mon, 30 Nov 2026 08:00:00 GMT' },
        { title: 'Undated', guid: 'u' },
      ] })),
    );
    fake.answer(feedUrl(2), ok(feedUrl(2), rssFeed({ title: 'Two', items: [{ title: 'New', guid: 'n', pubDate: 'Tue, 01 Dec 2026 09:00:00 GMT', description: '<p>Hello <b>world</b></p>' }] })));
    const s = service();
    await s.follow(G1, feedUrl(1));
    await s.follow(G1, feedUrl(2));
    const recent = await s.recentItems([feedUrl(1), feedUrl(2), feedUrl('unknown')]);
    expect(recent.map((e) => [e.feed.title, e.item.title])).toEqual([
      ['Two', 'New'],
      ['One', 'Old'],
      ['One', 'Undated'],
    ]);
    expect(recent[0]!.item.summaryText).toBe('Hello world');
    expect(await s.recentItems([])).toEqual([]);
  });
});

describe('a feed Herald stopped polling', () => {
  // A feed every guild unfollowed (or whose follow was refused for the limit after its first fetch was stored) keeps
  // its record but is no longer polled. A later follow must fetch it and mark what it holds now as seen, or the next
  // poll would post everything published meanwhile.
  it('is fetched again when a guild follows it, and its current items are marked seen', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    const s = service();
    await s.follow(G1, feedUrl(1));
    await s.unfollow(G1, feedUrl(1));
    expect(s.allFeedUrls()).not.toContain(feedUrl(1));
    // while nobody polls it, the feed publishes b and c
    fake.feed(feedUrl(1), 'One', ['c', 'b', 'a']);
    expect(await s.follow(G2, feedUrl(1))).toMatchObject({ alreadyFollowed: false, itemCount: 3 });
    expect(fake.requested).toEqual([feedUrl(1), feedUrl(1)]);
    expect((await store.seen.get(feedUrl(1)))?.ids).toEqual(expect.arrayContaining(['a', 'b', 'c']));
  });

  it('is not fetched again when another guild still polls it', async () => {
    fake.feed(feedUrl(1), 'One', ['a']);
    const s = service();
    await s.follow(G1, feedUrl(1));
    fake.feed(feedUrl(1), 'One', ['b', 'a']);
    expect(await s.follow(G2, feedUrl(1))).toMatchObject({ alreadyFollowed: false, itemCount: 0 });
    expect(fake.requested).toEqual([feedUrl(1)]);
    expect((await store.seen.get(feedUrl(1)))?.ids).toEqual(['a']); // b is news: the poller posts it
  });
});
