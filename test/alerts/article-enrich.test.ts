// AlertService.compose with an article enricher: called only for items that go to a channel, once per item, after
// matching (which stays on the feed's own text); the embed takes the enriched summary and image.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import type { FeedItem } from '../../src/feeds/types.js';
import { silentLogger } from '../../src/log.js';
import { SubscriptionService } from '../../src/match/subscription-service.js';
import { openStore, type Store } from '../../src/repositories.js';

const FEED = 'https://news.example/city.xml';
const clock = () => new Date('2026-11-25T08:00:00Z');
const feed = blankFeedRecord(FEED, 'City News', 'https://news.example/', clock());
const titleOnly: FeedItem = { id: 'b1', link: 'https://news.example/bridge', title: 'Swing bridge reopens to traffic', summaryHtml: '', summaryText: '', author: null, categories: [], image: null, published: null };
const LEAD = 'The old swing bridge over the river reopened on Monday after eight months of repairs to its deck.';

let store: Store;
let subscriptions: SubscriptionService;
let alerts: AlertService;
let enriched: string[];

beforeEach(async () => {
  store = await openStore('memory://');
  subscriptions = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
  enriched = [];
  alerts = new AlertService({
    store,
    subscriptions,
    feeds: { isFollowedBy: () => true },
    rest: { post: () => Promise.reject(new Error('no sends here')), patch: () => Promise.reject(new Error('no')), put: () => Promise.reject(new Error('no')), delete: () => Promise.reject(new Error('no')) },
    log: silentLogger,
    clock,
    enrichItem: async (item) => {
      enriched.push(item.id);
      return { ...item, summaryText: `${LEAD} It carried the river's traffic for a century.`, image: 'https://news.example/bridge.jpg' };
    },
  });
});
afterEach(() => alerts.close());

const subscribe = (channelId: string, queryText: string) => subscriptions.create({ guildId: 'g1', channelId, queryText, userId: 'u1' });

describe('AlertService.compose with article summaries', () => {
  it('enriches a matched item once, for all its channels, and the embed carries the lead and image', async () => {
    await subscribe('c1', 'bridge');
    await subscribe('c2', 'swing');
    const entries = await alerts.compose(feed, titleOnly);
    expect(entries.map((e) => e.channelId).sort()).toEqual(['c1', 'c2']);
    expect(enriched).toEqual(['b1']);
    for (const entry of entries) {
      expect(entry.embed.description?.replace(/\*\*/g, '')).toBe(`${LEAD} It carried the river's traffic for a century.`);
      expect(entry.embed.thumbnail?.url).toBe('https://news.example/bridge.jpg');
    }
  });

  it('never enriches an item no channel wants; matching is on the feed text, not on what the article adds', async () => {
    await subscribe('c1', 'river'); // only the article's text says "river"
    expect(await alerts.compose(feed, titleOnly)).toEqual([]);
    expect(enriched).toEqual([]);
  });
});
