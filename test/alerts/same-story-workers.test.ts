// One post per story across outlets, with several workers (HERALD_TEST_REDIS_URL): two outlets' versions of a story
// reach two workers at the same instant, and both look at the channel's recent headlines before either has written
// its own. With a lock per process both were posted; with the channel lock in Redis one is posted and the other
// outlet is listed on it. Real AlertService and SubscriptionService over one shared store; Discord is a small fake.
import type { APIEmbed } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { ALSO_REPORTED_BY } from '../../src/alerts/also-reported-by.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import type { FeedItem } from '../../src/feeds/types.js';
import { silentLogger } from '../../src/log.js';
import { SubscriptionService } from '../../src/match/subscription-service.js';
import { openStore, type Store } from '../../src/repositories.js';
import { RedisCoordination } from '../../src/store/redis-coordination.js';
import { serverBackends, testPrefix } from '../store/backends.js';

const redisBackend = serverBackends().find((b) => b.name === 'redis')!;
const REDIS = redisBackend.url;
const HOUR = 60 * 60_000;
const clock = () => new Date('2026-11-25T08:00:00Z');
const bbc = blankFeedRecord('https://bbc.example/world.xml', 'BBC News - World', 'https://bbc.example/', clock());
const reuters = blankFeedRecord('https://reuters.example/world.xml', 'Reuters World', 'https://reuters.example/', clock());
const item = (id: string, title: string, link: string): FeedItem => ({ id, link, title, summaryHtml: `<p>${title}.</p>`, author: null, categories: [], image: null, published: '2026-11-25T07:00:00Z' });
const missileBbc = item('bbc-1', 'North Korea fires ballistic missile into sea, South Korea says', 'https://bbc.example/news/nk-missile');
const missileReuters = item('r-1', 'North Korea fires ballistic missile toward East Sea, South Korean military says', 'https://reuters.example/world/nk-missile-2026');

describe.skipIf(!REDIS)('the same story at two workers at once', () => {
  const prefix = testPrefix();
  const coordinations: RedisCoordination[] = [];
  let store: Store;

  beforeAll(async () => {
    store = await openStore('memory://');
    for (let i = 0; i < 2; i++) coordinations.push(await RedisCoordination.open(REDIS!, { prefix }));
  });
  afterAll(async () => {
    for (const c of coordinations) await c.close();
    await store?.close();
    await redisBackend.cleanup(prefix);
  });

  it('is posted once, and the other outlet is listed on it', async () => {
    const subscriptions = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
    await subscriptions.create({ guildId: 'g1', channelId: 'c1', queryText: 'Korea', userId: 'u1' });
    const messages = new Map<string, APIEmbed[]>();
    const rest = {
      post: async (_route: string, options: { body: { embeds: APIEmbed[] } }) => {
        const id = String(900_000 + messages.size);
        messages.set(id, options.body.embeds);
        return { id };
      },
      patch: async (route: string, options: { body: { embeds: APIEmbed[] } }) => {
        messages.set(route.split('/').pop()!, options.body.embeds);
        return {};
      },
      put: async () => undefined,
      delete: async () => undefined,
    };
    // Both workers read the channel's recent headlines together (each waits for the other, or half a second): the
    // race two workers meet when two feeds carrying the story are polled at the same instant.
    const read = store.headlines.get.bind(store.headlines);
    let waiting: Array<() => void> = [];
    store.headlines.get = async (key: string) => {
      await new Promise<void>((go) => {
        waiting.push(go);
        if (waiting.length >= 2) for (const next of waiting.splice(0)) next();
        else
          setTimeout(() => {
            waiting = waiting.filter((w) => w !== go);
            go();
          }, 500);
      });
      return read(key);
    };
    const workers = coordinations.map(
      (redis) =>
        new AlertService({
          store,
          subscriptions,
          feeds: { isFollowedBy: () => true },
          rest: rest as never,
          log: silentLogger,
          clock,
          retryDelayMs: HOUR,
          duplicateWindowMs: 24 * HOUR,
          messageLock: redis.sectionLock('message'),
          channelLock: redis.sectionLock('channel'),
        }),
    );
    try {
      await Promise.all([workers[0]!.handleNewItems(bbc, [missileBbc]), workers[1]!.handleNewItems(reuters, [missileReuters])]);
      for (const w of workers) await w.idle();
      expect(messages.size).toBe(1);
      const [embeds] = [...messages.values()];
      const listed = embeds![0]!.fields?.find((f) => f.name === ALSO_REPORTED_BY)?.value ?? '';
      // whichever went first, the other outlet is listed
      expect(listed).toMatch(/\[(BBC News - World|Reuters World)\]/);
      expect(embeds![0]!.title).not.toContain(listed.includes('Reuters') ? 'East Sea' : 'into sea, South');
    } finally {
      for (const w of workers) w.close();
    }
  });
});
