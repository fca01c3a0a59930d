// Finding 2 of issue 8: one guild's regexes must not slow every guild. A guild holds at most MAX_REGEX_PER_GUILD
// distinct regexes, and they run only on items of feeds that guild follows (counted, not timed).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import type { FeedItem } from '../../src/feeds/types.js';
import { silentLogger } from '../../src/log.js';
import { evaluateQuery } from '../../src/match/evaluate.js';
import { SubscriptionIndex } from '../../src/match/index.js';
import type { MatchableItem } from '../../src/match/item.js';
import { parseQuery, type Query } from '../../src/match/query.js';
import { regexStats } from '../../src/match/regex.js';
import { SubscriptionProblem, SubscriptionService } from '../../src/match/subscription-service.js';
import { openStore, type Store } from '../../src/repositories.js';
import { prng } from '../../bench/prng.js';

const clock = () => new Date('2026-11-25T08:00:00Z');
const WORLD = 'https://news.example/world.xml';
const LOCAL = 'https://local.example/rss';

let store: Store;
let subscriptions: SubscriptionService;
beforeEach(async () => {
  store = await openStore('memory://');
  subscriptions = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 200, maxRegexPerGuild: 10 });
});
afterEach(async () => {
  await store.close?.();
});

const subscribe = (guildId: string, queryText: string, channelId = `${guildId}-c`) => subscriptions.create({ guildId, channelId, queryText, userId: 'u1' });
async function refusal(guildId: string, queryText: string): Promise<SubscriptionProblem> {
  try {
    await subscribe(guildId, queryText);
  } catch (e) {
    expect(e).toBeInstanceOf(SubscriptionProblem);
    return e as SubscriptionProblem;
  }
  throw new Error(`expected ${queryText} to be refused`);
}
const q = (text: string): Query => {
  const r = parseQuery(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.query;
};

describe('MAX_REGEX_PER_GUILD', () => {
  it('refuses the regex past the limit, naming the limit and how to free one; phrases and other guilds are unaffected', async () => {
    for (let i = 0; i < 5; i++) await subscribe('g1', `/alpha${i}/i, /beta${i}/`); // 10 distinct regexes
    expect(subscriptions.regexCountForGuild('g1')).toBe(10);
    const e = await refusal('g1', 'korea +/missiles?/i');
    expect(e.code).toBe('limit');
    expect(e.message).toMatch(/1 new regular expression and this server already uses 10 regular expressions; the limit is 10 per server/);
    expect(e.message).toMatch(/\/unsubscribe/);
    expect(subscriptions.listForGuild('g1')).toHaveLength(5);
    // the same regex again costs nothing more (it runs once per item): allowed, in another channel too
    await subscribe('g1', '/alpha0/i +korea', 'g1-other');
    await subscribe('g1', 'north korea'); // phrases are not limited by it
    await subscribe('g2', '/missiles?/i'); // another server has its own budget
    // freeing one makes room
    const first = subscriptions.listForGuild('g1').find((s) => s.canonical === '/alpha1/i, /beta1/')!;
    await subscriptions.remove('g1', first.id);
    await subscribe('g1', 'korea +/missiles?/i');
    expect(subscriptions.regexCountForGuild('g1')).toBe(9);
  });

  it('counts a query with several new regexes at once', async () => {
    for (let i = 0; i < 9; i++) await subscribe('g1', `/r${i}/`);
    const e = await refusal('g1', '/x/, /y/');
    expect(e.message).toMatch(/This query has 2 new regular expressions and this server already uses 9/);
  });

  it('0 turns regex queries off', async () => {
    const none = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 200, maxRegexPerGuild: 0 });
    const e = await none.create({ guildId: 'g1', channelId: 'c', queryText: '/korea/', userId: 'u' }).then(
      () => null,
      (x: unknown) => x as SubscriptionProblem,
    );
    expect(e?.message).toMatch(/turned off.*MAX_REGEX_PER_GUILD=0/);
    await none.create({ guildId: 'g1', channelId: 'c', queryText: 'korea', userId: 'u' });
  });
});

describe('regexes run only on items of feeds their guild follows', () => {
  const item: MatchableItem = { title: 'North Korea fires missiles', summary: 'Tests near the coast.', categories: ['World'], source: 'World Desk', author: '' };

  it('a guild that does not follow the feed costs no regex test; a shared regex runs once for those that do', async () => {
    for (let i = 0; i < 9; i++) await subscribe('ga', `/(?:\\S+\\s)*?\\S+X${i}/`); // costly on a backtracking engine
    const shared = await subscribe('gb', '/korea/i');
    const sharedToo = await subscribe('ga', '/korea/i');
    let before = regexStats.tests;
    const none = subscriptions.matchAlternatives(item, { guildFollows: () => false });
    expect(regexStats.tests - before).toBe(0);
    expect(none).toEqual([]);

    before = regexStats.tests;
    const onlyB = subscriptions.matchAlternatives(item, { guildFollows: (g) => g === 'gb' });
    // /korea/i once (one test per field of its default scope: title, summary, categories); none of ga's nine
    expect(regexStats.tests - before).toBe(3);
    expect(onlyB.flatMap((m) => m.members).sort()).toEqual([shared.id, sharedToo.id].sort());

    before = regexStats.tests;
    subscriptions.matchAlternatives(item, { guildFollows: (g) => g === 'ga' });
    // ga's nine, and /korea/i once, each on title, summary and categories
    expect(regexStats.tests - before).toBe(10 * 3);
  });

  it('through alert routing: an item of a feed only guild A follows runs none of guild B’s regexes', async () => {
    const following = new Map([
      ['ga', [WORLD]],
      ['gb', [LOCAL]],
    ]);
    const alerts = new AlertService({
      store,
      subscriptions,
      feeds: { isFollowedBy: (guildId: string, url: string) => following.get(guildId)?.includes(url) ?? false },
      rest: { post: () => Promise.reject(new Error('no sends')), patch: () => Promise.reject(new Error('no')), put: () => Promise.reject(new Error('no')), delete: () => Promise.reject(new Error('no')) },
      log: silentLogger,
      clock,
    });
    try {
      for (let i = 0; i < 10; i++) await subscribe('gb', `/(?:\\S+\\s)*?\\S+X${i}/`);
      await subscribe('ga', 'korea');
      const feedItem: FeedItem = { id: 'k1', link: 'https://news.example/k', title: 'North Korea fires missiles', summaryHtml: '<p>Near the coast.</p>', author: null, categories: [], image: null, published: null };
      const before = regexStats.tests;
      const entries = await alerts.compose(blankFeedRecord(WORLD, 'World Desk', 'https://news.example/', clock()), feedItem);
      expect(entries.map((e) => e.guildId)).toEqual(['ga']);
      expect(regexStats.tests - before).toBe(0);
      // the same story in gb's feed: its regexes do run
      await alerts.compose(blankFeedRecord(LOCAL, 'Local', 'https://local.example/', clock()), feedItem);
      expect(regexStats.tests - before).toBeGreaterThanOrEqual(10);
    } finally {
      await alerts.close();
    }
  });
});

describe('eligibility keeps the index equal to direct evaluation over the eligible guilds', () => {
  it('random regex and phrase queries, random owners, random eligibility', () => {
    const r = prng(8008);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
    const texts = ['/korea/i', '/^north/i', '/missiles?\\b/', '/(a+)+$/', 'korea', 'missile +/test/i', '/drone/ -football', 'north korea'];
    const owners = ['g1', 'g2', 'g3', 'g4'];
    const index = new SubscriptionIndex();
    const subs = new Map<string, { query: Query; owner: string }>();
    for (let i = 0; i < 120; i++) {
      const text = r() < 0.5 ? pick(texts) : `${pick(texts)}, ${pick(texts)}`;
      const sub = { query: q(text), owner: pick(owners) };
      subs.set(`s${i}`, sub);
      index.add(`s${i}`, sub.query, sub.owner);
      if (r() < 0.3) {
        // removals free groups and their numbers, which later alternatives reuse
        const gone = `s${Math.floor(r() * i)}`;
        index.remove(gone);
        subs.delete(gone);
      }
    }
    const words = ['North', 'Korea', 'missile', 'missiles', 'test', 'drone', 'football', 'aaaa', 'south'];
    for (let n = 0; n < 300; n++) {
      const item: MatchableItem = {
        title: Array.from({ length: 2 + Math.floor(r() * 5) }, () => pick(words)).join(' '),
        summary: Array.from({ length: Math.floor(r() * 6) }, () => pick(words)).join(' '),
        categories: [],
        source: '',
        author: '',
      };
      const eligible = new Set(owners.filter(() => r() < 0.5));
      const matched = index.matchAlternatives(item, { eligible: (o) => eligible.has(o) });
      // an alternative with a regex is evaluated (and so returned) only for an eligible owner
      for (const m of matched) if (m.terms.some((t) => t.kind === 'regex')) expect(m.members.some((id) => eligible.has(subs.get(id)!.owner))).toBe(true);
      const got = new Set(matched.flatMap((m) => m.members).filter((id) => eligible.has(subs.get(id)!.owner)));
      const want = new Set([...subs].filter(([, s]) => eligible.has(s.owner) && evaluateQuery(s.query, item).matched).map(([id]) => id));
      expect([...got].sort()).toEqual([...want].sort());
    }
  });
});
