// Routing an item to channels: one alert per channel, the union of its subscriptions' matched terms, only in
// servers that follow the item's feed. Real SubscriptionService and store (memory://); no Discord needed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import type { FeedItem } from '../../src/feeds/types.js';
import { silentLogger } from '../../src/log.js';
import { SubscriptionService } from '../../src/match/subscription-service.js';
import { openStore, type Store } from '../../src/repositories.js';

const FEED = 'https://news.example/world.xml';
const clock = () => new Date('2026-11-25T08:00:00Z');
const feed = blankFeedRecord(FEED, 'World Desk', 'https://news.example/', clock());
const item: FeedItem = {
  id: 'k1',
  link: 'https://news.example/kyiv',
  title: 'Drone strikes hit Kyiv as Ukraine braces for winter',
  summaryHtml: '<p>Air defences over the capital were busy overnight.</p>',
  author: null,
  categories: ['World'],
  image: null,
  published: '2026-11-25T07:00:00Z',
};

let store: Store;
let subscriptions: SubscriptionService;
let alerts: AlertService;
/** guild → feeds it follows */
const following = new Map<string, string[]>();

beforeEach(async () => {
  store = await openStore('memory://');
  subscriptions = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
  following.clear();
  alerts = new AlertService({
    store,
    subscriptions,
    feeds: { isFollowedBy: (guildId: string, url: string) => following.get(guildId)?.includes(url) ?? false },
    rest: { post: () => Promise.reject(new Error('no sends here')), patch: () => Promise.reject(new Error('no')), put: () => Promise.reject(new Error('no')), delete: () => Promise.reject(new Error('no')) },
    log: silentLogger,
    clock,
  });
});
afterEach(() => alerts.close());

const subscribe = (guildId: string, channelId: string, queryText: string) => subscriptions.create({ guildId, channelId, queryText, userId: 'u1' });

describe('AlertService.compose', () => {
  it('gives each channel one entry with every matching subscription once and the union of their terms', async () => {
    following.set('g1', [FEED]);
    const both = await subscribe('g1', 'c1', 'Ukraine, Kyiv'); // two alternatives match
    const drone = await subscribe('g1', 'c1', 'drone* +Ukraine');
    const other = await subscribe('g1', 'c2', 'Ukraine');
    await subscribe('g1', 'c3', 'Ukraine -winter'); // excluded
    await subscribe('g1', 'c4', 'Moscow');
    const entries = await alerts.compose(feed, item);
    const byChannel = new Map(entries.map((e) => [e.channelId, e]));
    expect([...byChannel.keys()].sort()).toEqual(['c1', 'c2']);
    const c1 = byChannel.get('c1')!;
    expect(c1.subscriptionIds.sort()).toEqual([both.id, drone.id].sort());
    expect(c1.terms.map((t) => t.toLowerCase()).sort()).toEqual(['drone', 'kyiv', 'ukraine']);
    expect(byChannel.get('c2')!.subscriptionIds).toEqual([other.id]);
    expect(byChannel.get('c2')!.terms).toEqual(['Ukraine']);
  });

  it('skips servers that do not follow the feed, and leaves their matches out', async () => {
    following.set('g1', [FEED]);
    following.set('g2', ['https://other.example/feed.xml']);
    await subscribe('g1', 'c1', 'Ukraine');
    await subscribe('g2', 'c9', 'Ukraine, Kyiv');
    const entries = await alerts.compose(feed, item);
    expect(entries.map((e) => [e.guildId, e.channelId])).toEqual([['g1', 'c1']]);
  });

  it('matches nothing once the subscriptions are gone', async () => {
    following.set('g1', [FEED]);
    const s = await subscribe('g1', 'c1', 'Kyiv, Ukraine');
    expect(await alerts.compose(feed, item)).toHaveLength(1);
    await subscriptions.remove('g1', s.id);
    expect(await alerts.compose(feed, item)).toEqual([]);
  });
});
