// One post per story across outlets: the same story from another feed within the window is not posted again in a
// channel; the outlet is listed on the first alert by editing it. Real AlertService, RatingService,
// SubscriptionService and store (memory://); Discord is a small fake `rest` that records posts and edits.
import { DiscordAPIError, Routes, type APIEmbed } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { ALSO_REPORTED_BY } from '../../src/alerts/also-reported-by.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import type { FeedRecord } from '../../src/feeds/records.js';
import type { FeedItem } from '../../src/feeds/types.js';
import { silentLogger } from '../../src/log.js';
import { SubscriptionService } from '../../src/match/subscription-service.js';
import { RatingService } from '../../src/ratings/rating-service.js';
import { openStore, type Store } from '../../src/repositories.js';
import { KeyedLock } from '../../src/store/store.js';

const GUILD = 'g1';
const CHANNEL = 'c1';
const HOUR = 60 * 60_000;
let now = new Date('2026-11-25T08:00:00Z');
const clock = () => now;
const feed = (url: string, title: string): FeedRecord => blankFeedRecord(url, title, new URL(url).origin + '/', clock());
const bbc = feed('https://bbc.example/world.xml', 'BBC News - World');
const reuters = feed('https://reuters.example/world.xml', 'Reuters World');
const guardian = feed('https://guardian.example/world.xml', 'The Guardian');

function item(id: string, title: string, link: string): FeedItem {
  return { id, link, title, summaryHtml: `<p>${title}.</p>`, author: null, categories: [], image: null, published: '2026-11-25T07:00:00Z' };
}
const missileBbc = item('bbc-1', 'North Korea fires ballistic missile into sea, South Korea says', 'https://bbc.example/news/nk-missile');
const missileReuters = item('r-1', 'North Korea fires ballistic missile toward East Sea, South Korean military says', 'https://reuters.example/world/nk-missile-2026');
const missileGuardian = item('g-1', 'North Korea fires ballistic missile into sea, South Korea says', 'https://guardian.example/world/north-korea-missile');
const defector = item('r-2', 'North Korean soldier defects across border, South Korea says', 'https://reuters.example/world/nk-defector');

/** Discord's message create and edit, reduced to what matters here. */
class FakeRest {
  readonly messages = new Map<string, { channelId: string; embeds: APIEmbed[] }>();
  readonly edits: Array<{ messageId: string; embeds: APIEmbed[] }> = [];
  failPosts = 0;
  /** The next posts are refused for good (a 400: the alert is dropped). */
  refusePosts = 0;
  failEdits = 0;
  /** When set, the next edit waits for it before it lands. */
  holdNextEdit: Promise<void> | null = null;

  post = async (route: string, options: { body: { embeds: APIEmbed[] } }) => {
    if (this.refusePosts > 0) {
      this.refusePosts--;
      throw new DiscordAPIError({ code: 50035, message: 'Invalid Form Body' }, 50035, 400, 'POST', route, {});
    }
    if (this.failPosts > 0) {
      this.failPosts--;
      throw new Error('503 Service Unavailable');
    }
    const id = String(900_000 + this.messages.size);
    this.messages.set(id, { channelId: route.split('/')[2]!, embeds: options.body.embeds });
    return { id };
  };
  patch = async (route: string, options: { body: { embeds: APIEmbed[] } }) => {
    const hold = this.holdNextEdit;
    this.holdNextEdit = null;
    if (hold) await hold;
    if (this.failEdits > 0) {
      this.failEdits--;
      throw new Error('503 Service Unavailable');
    }
    const [, , channelId, , messageId] = route.split('/');
    expect(route).toBe(Routes.channelMessage(channelId!, messageId!));
    const message = this.messages.get(messageId!);
    if (!message) throw new Error('Unknown Message');
    message.embeds = options.body.embeds;
    this.edits.push({ messageId: messageId!, embeds: options.body.embeds });
    return { id: messageId };
  };
  put = async () => undefined;
  delete = async () => undefined;
}

let store: Store;
let subscriptions: SubscriptionService;
let rest: FakeRest;
let alerts: AlertService;
let ratings: RatingService;

function start(duplicateWindowMs = 24 * HOUR): void {
  alerts?.close();
  const messageLock = new KeyedLock();
  const deps = { store, subscriptions, feeds: { isFollowedBy: () => true }, rest: rest as never, log: silentLogger, clock, retryDelayMs: 60 * HOUR };
  alerts = new AlertService({ ...deps, duplicateWindowMs, messageLock });
  ratings = new RatingService({ store, rest: rest as never, log: silentLogger, botUserId: () => 'bot', refreshDelayMs: 60 * HOUR, messageLock });
}

async function deliver(source: FeedRecord, ...items: FeedItem[]): Promise<void> {
  await alerts.handleNewItems(source, items);
  await alerts.idle();
}

const posted = () => [...rest.messages.values()];
const fieldOf = (embeds: APIEmbed[], name: string) => embeds[0]?.fields?.find((f) => f.name === name)?.value;

beforeEach(async () => {
  now = new Date('2026-11-25T08:00:00Z');
  store = await openStore('memory://');
  rest = new FakeRest();
  subscriptions = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
  await subscriptions.create({ guildId: GUILD, channelId: CHANNEL, queryText: 'Korea', userId: 'u1' });
  start();
});
afterEach(() => alerts.close());

describe('the same story from another outlet', () => {
  it('is not posted again: the first alert lists the outlet, linked to its article, by an edit', async () => {
    await deliver(bbc, missileBbc);
    now = new Date(now.getTime() + HOUR);
    await deliver(reuters, missileReuters);
    expect(posted()).toHaveLength(1);
    const [messageId] = [...rest.messages.keys()];
    expect(rest.edits.map((e) => e.messageId)).toEqual([messageId]);
    const embeds = rest.messages.get(messageId!)!.embeds;
    expect(fieldOf(embeds, ALSO_REPORTED_BY)).toBe('[Reuters World](https://reuters.example/world/nk-missile-2026)');
    expect(fieldOf(embeds, 'Rating')).toMatch(/No ratings yet/);
    expect(embeds[0]!.url).toBe(missileBbc.link); // still the first outlet's alert
    const record = await store.alerts.get(messageId!);
    expect(record!.alsoReportedBy).toEqual([{ outlet: 'Reuters World', feedUrl: reuters.url, link: missileReuters.link }]);
  });

  it('lists each outlet once, even when its item comes again (a restart before the seen-set was saved)', async () => {
    await deliver(bbc, missileBbc);
    await deliver(reuters, missileReuters);
    await deliver(reuters, missileReuters);
    await deliver(guardian, missileGuardian);
    expect(posted()).toHaveLength(1);
    expect(rest.edits).toHaveLength(2);
    const record = [...(await entries(store.alerts))][0]!;
    expect(record.alsoReportedBy!.map((r) => r.feedUrl)).toEqual([reuters.url, guardian.url]);
    expect(fieldOf(posted()[0]!.embeds, ALSO_REPORTED_BY)).toBe('[Reuters World](https://reuters.example/world/nk-missile-2026), [The Guardian](https://guardian.example/world/north-korea-missile)');
  });

  it('with the very same headline (another link) is listed too', async () => {
    await deliver(bbc, missileBbc);
    await deliver(guardian, missileGuardian);
    expect(posted()).toHaveLength(1);
    expect(fieldOf(posted()[0]!.embeds, ALSO_REPORTED_BY)).toContain('The Guardian');
  });

  it('from the same feed (republished under another link) is skipped without an edit', async () => {
    await deliver(bbc, missileBbc);
    await deliver(bbc, { ...missileReuters, id: 'bbc-2', link: 'https://bbc.example/news/nk-missile-update' });
    expect(posted()).toHaveLength(1);
    expect(rest.edits).toEqual([]);
  });

  it('makes a lost edit again the next time the outlet comes, never listing it twice', async () => {
    await deliver(bbc, missileBbc);
    rest.failEdits = 1;
    await deliver(reuters, missileReuters);
    expect(rest.edits).toEqual([]);
    expect(fieldOf(posted()[0]!.embeds, ALSO_REPORTED_BY)).toBeUndefined();
    await deliver(reuters, missileReuters);
    expect(rest.edits).toHaveLength(1);
    expect(fieldOf(posted()[0]!.embeds, ALSO_REPORTED_BY)).toBe('[Reuters World](https://reuters.example/world/nk-missile-2026)');
    await deliver(reuters, missileReuters);
    expect(rest.edits).toHaveLength(1);
  });

  it('while the first alert is still queued: the outlet is recorded and shown right after it is posted', async () => {
    rest.failPosts = 1;
    await deliver(bbc, missileBbc);
    expect(posted()).toHaveLength(0);
    await deliver(reuters, missileReuters);
    expect(posted()).toHaveLength(0); // not a second alert
    await alerts.drainOutbox(); // the retry
    expect(posted()).toHaveLength(1);
    expect(fieldOf(posted()[0]!.embeds, ALSO_REPORTED_BY)).toContain('Reuters World');
  });

  it('is posted when the first alert was dropped (a story is never lost with it)', async () => {
    rest.refusePosts = 1;
    await deliver(bbc, missileBbc);
    expect(posted()).toHaveLength(0);
    expect(await store.outbox.get(`${CHANNEL}|link:${missileBbc.link}`)).toBeUndefined(); // dropped, not queued
    await deliver(reuters, missileReuters);
    expect(posted()).toHaveLength(1);
    expect(posted()[0]!.embeds[0]!.url).toBe(missileReuters.link);
  });

  it('is still sent when its headline cannot be remembered (only its later duplicates go unnoticed)', async () => {
    const set = store.headlines.set.bind(store.headlines);
    store.headlines.set = async () => {
      throw new Error('store down for headlines');
    };
    try {
      await deliver(bbc, missileBbc);
    } finally {
      store.headlines.set = set;
    }
    expect(posted()).toHaveLength(1);
  });

  it('is posted again once the window has passed', async () => {
    await deliver(bbc, missileBbc);
    now = new Date(now.getTime() + 25 * HOUR);
    await deliver(reuters, missileReuters);
    expect(posted()).toHaveLength(2);
    expect(rest.edits).toEqual([]);
  });

  it('is posted again when the window is 0 (off)', async () => {
    start(0);
    await deliver(bbc, missileBbc);
    await deliver(reuters, missileReuters);
    expect(posted()).toHaveLength(2);
  });
});

describe('different stories with similar words', () => {
  it('are both posted', async () => {
    await deliver(bbc, missileBbc);
    await deliver(reuters, defector);
    await deliver(reuters, item('r-3', 'North Korea fires artillery shells near sea border, South Korea says', 'https://reuters.example/world/nk-artillery'));
    expect(posted()).toHaveLength(3);
    expect(rest.edits).toEqual([]);
  });

  it('arriving together from two feeds in one poll make one post per story', async () => {
    await Promise.all([deliver(bbc, missileBbc), deliver(reuters, missileReuters, defector)]);
    expect(posted()).toHaveLength(2);
  });
});

describe('votes and "Also reported by"', () => {
  it('keep each other: the rating edit keeps the field and the field edit keeps the rating', async () => {
    await deliver(bbc, missileBbc);
    const [messageId] = [...rest.messages.keys()];
    await ratings.onReaction({ kind: 'add', messageId: messageId!, channelId: CHANNEL, userId: 'alice', emoji: '4️⃣' });
    await ratings.flush();
    await deliver(reuters, missileReuters);
    let embeds = rest.messages.get(messageId!)!.embeds;
    expect(fieldOf(embeds, 'Rating')).toBe('★★★★ 4.0 · 1 vote');
    expect(fieldOf(embeds, ALSO_REPORTED_BY)).toContain('Reuters World');
    await ratings.onReaction({ kind: 'add', messageId: messageId!, channelId: CHANNEL, userId: 'bob', emoji: '5️⃣' });
    await ratings.flush();
    embeds = rest.messages.get(messageId!)!.embeds;
    expect(fieldOf(embeds, 'Rating')).toBe('★★★★½ 4.5 · 2 votes');
    expect(fieldOf(embeds, ALSO_REPORTED_BY)).toContain('Reuters World');
  });

  it('racing each other (a slow rating edit in flight when the outlet comes) still end with both shown', async () => {
    await deliver(bbc, missileBbc);
    const [messageId] = [...rest.messages.keys()];
    await ratings.onReaction({ kind: 'add', messageId: messageId!, channelId: CHANNEL, userId: 'alice', emoji: '2️⃣' });
    let release = () => undefined as void;
    rest.holdNextEdit = new Promise<void>((resolve) => (release = resolve));
    const rated = ratings.flush(); // its edit, read before the outlet was listed, is held
    await alerts.handleNewItems(reuters, [missileReuters]);
    await new Promise((r) => setTimeout(r, 20)); // room for an unserialised edit to land first (it must not)
    release();
    await Promise.all([rated, alerts.idle()]);
    const embeds = rest.messages.get(messageId!)!.embeds;
    expect(fieldOf(embeds, 'Rating')).toBe('★★ 2.0 · 1 vote');
    expect(fieldOf(embeds, ALSO_REPORTED_BY)).toContain('Reuters World');
    const record = await store.alerts.get(messageId!);
    expect(record!.votes).toEqual({ alice: 2 });
  });
});

async function entries<T>(collection: { entries(): AsyncIterable<[string, T]> }): Promise<T[]> {
  const out: T[] = [];
  for await (const [, value] of collection.entries()) out.push(value);
  return out;
}
