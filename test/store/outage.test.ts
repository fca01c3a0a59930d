// A store outage during a poll: it is not the feed's failure (its health is untouched), nothing is marked seen
// unless its alerts are in the outbox, and the feed is polled again next cycle, which then posts each story once.
// Real Poller, AlertService, SubscriptionService and parser over a memory store whose namespaces can "go down".
import { beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import type { FetchOutcome, Fetcher } from '../../src/feeds/fetch/fetcher.js';
import { Poller } from '../../src/feeds/poll/poller.js';
import { silentLogger } from '../../src/log.js';
import { SubscriptionService } from '../../src/match/subscription-service.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import type { Collection } from '../../src/store/keyv-store.js';
import { openStore, type Store } from '../../src/repositories.js';
import { rssFeed } from '../harness/feed-server.js';

const URL = 'https://news.example/world.xml';
const INTERVAL = 2 * 60_000;

/**
 * Wraps a store so that a collection (`outbox`) or one of its operations (`seen.set`) throws StoreUnavailableError
 * while it is listed in `down`.
 */
function breakable(store: Store, down: Set<string>): Store {
  const wrap = <T>(name: string, c: Collection<T>): Collection<T> => {
    const check = (op: string) => {
      if (down.has(name) || down.has(`${name}.${op}`)) throw new StoreUnavailableError(`the store failed to ${op} ${name}: connect ECONNREFUSED`);
    };
    return {
      get: async (k) => (check('get'), c.get(k)),
      set: async (k, v, t) => (check('set'), c.set(k, v, t)),
      addIfAbsent: async (k, v, t) => (check('addIfAbsent'), c.addIfAbsent(k, v, t)),
      delete: async (k) => (check('delete'), c.delete(k)),
      entries: () => (check('entries'), c.entries()),
    };
  };
  return {
    ...store,
    feeds: wrap('feeds', store.feeds),
    guildFeeds: wrap('guildFeeds', store.guildFeeds),
    subscriptions: wrap('subscriptions', store.subscriptions),
    seen: wrap('seen', store.seen),
    recent: wrap('recent', store.recent),
    alerts: wrap('alerts', store.alerts),
    posted: wrap('posted', store.posted),
    outbox: wrap('outbox', store.outbox),
  };
}

const item = (guid: string, title: string) => ({ guid, title, link: `https://news.example/${guid}`, pubDate: 'Wed, 25 Nov 2026 09:00:00 GMT' });
const ok = (items: ReturnType<typeof item>[]): FetchOutcome => ({
  kind: 'ok',
  status: 200,
  body: Buffer.from(rssFeed({ title: 'World', items })),
  contentType: 'application/rss+xml',
  etag: null,
  lastModified: null,
  finalUrl: URL,
  maxAgeSeconds: null,
});

let down: Set<string>;
let store: Store;
let now: Date;
let answer: FetchOutcome;
let sent: string[];
let poller: Poller;
let alerts: AlertService;

beforeEach(async () => {
  down = new Set();
  store = breakable(await openStore('memory://'), down);
  now = new Date('2026-11-25T10:00:00Z');
  sent = [];
  const clock = () => now;
  const subscriptions = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 10 });
  await subscriptions.create({ guildId: 'g1', channelId: 'c1', queryText: 'Kyiv', userId: 'u1' });
  const rest = {
    post: async (_route: string, { body }: { body: { embeds: Array<{ title?: string }> } }) => {
      sent.push(body.embeds[0]?.title ?? '');
      return { id: String(sent.length) };
    },
    put: async () => undefined,
    patch: async () => undefined,
    delete: async () => undefined,
  };
  alerts = new AlertService({ store, subscriptions, feeds: { isFollowedBy: () => true }, rest: rest as never, log: silentLogger, clock });
  const fetcher: Fetcher = { fetch: async () => answer, close: async () => undefined };
  poller = new Poller({ store, fetcher, log: silentLogger, clock, intervalMs: INTERVAL, feedUrls: () => [URL], onNewItems: (feed, items) => alerts.handleNewItems(feed, items) });
  answer = ok([item('old', 'Markets close higher')]);
  await poller.runCycle(); // first fetch: the old item counts as seen
});

const nextCycle = async () => {
  now = new Date(now.getTime() + INTERVAL);
  const report = await poller.runCycle();
  await alerts.idle();
  return report;
};

describe('a store outage during a poll', () => {
  it('does not count against the feed, marks nothing seen without its alert queued, and the next cycle posts it once', async () => {
    answer = ok([item('k1', 'Drone strikes hit Kyiv overnight'), item('old', 'Markets close higher')]);
    down.add('outbox'); // the alert cannot be queued
    const report = await nextCycle();
    expect(report.outcomes.failed).toBe(0);
    expect(report.outcomes.skipped).toBe(1);
    const record = await store.feeds.get(URL);
    expect(record?.consecutiveFailures).toBe(0);
    expect(record?.lastError).toBeNull();
    expect((await store.seen.get(URL))?.ids).not.toContain('k1');
    expect(sent).toEqual([]);

    down.clear();
    const after = await nextCycle();
    expect(after.newItems).toBe(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('Kyiv');
    expect((await store.seen.get(URL))?.ids).toContain('k1');
    await nextCycle();
    expect(sent).toHaveLength(1);
  });

  it('re-detects an item whose alert was queued but whose "seen" write failed, and still posts it once', async () => {
    answer = ok([item('k2', 'Kyiv braces for winter'), item('old', 'Markets close higher')]);
    down.add('seen.set'); // the alert is queued, then marking the item seen fails
    await nextCycle();
    expect(sent).toHaveLength(1); // queued, then sent
    expect((await store.feeds.get(URL))?.consecutiveFailures).toBe(0);
    down.clear();
    const again = await nextCycle();
    expect(again.newItems).toBe(1); // seen again as new…
    expect(sent).toHaveLength(1); // …but the story is already posted in that channel
  });

  it('a whole store outage leaves every feed as it was', async () => {
    answer = ok([item('k3', 'Kyiv metro reopens'), item('old', 'Markets close higher')]);
    const before = await store.feeds.get(URL);
    for (const name of ['feeds', 'seen', 'recent', 'outbox', 'posted', 'alerts']) down.add(name);
    const report = await nextCycle();
    expect(report.outcomes.skipped).toBe(1);
    down.clear();
    expect(await store.feeds.get(URL)).toEqual(before);
  });
});
